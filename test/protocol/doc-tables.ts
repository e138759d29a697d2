// Reads the tables of shared/PROTOCOL.md, so tests can hold the code to what the document tells an outsider.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../../shared/PROTOCOL.md', import.meta.url));

/** Cells of each body row of the table whose header row starts with `firstHeader` (backticks kept). */
export function docTable(firstHeader: string): string[][] {
  const lines = readFileSync(DOC, 'utf8')
    .split('\n')
    .map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith(`| ${firstHeader} |`));
  if (at < 0) throw new Error(`PROTOCOL.md has no table starting with "${firstHeader}"`);
  const rows: string[][] = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith('|'); i++)
    rows.push(
      lines[i]
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  return rows;
}

/** `` `x` `` -> x */
export const code = (cell: string): string => cell.replace(/^`|`$/g, '');

export type FieldType = 'u8' | 'u16' | 'u32' | 'f64';
export interface DocField {
  /** '0' for a reserved field */
  name: string;
  type: FieldType;
  offset: number;
}

const SIZE: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, f64: 8 };

/** "version u8, type u8, seq u32" -> fields with the offsets the document implies. */
export function parseLayout(cell: string): { fields: DocField[]; bytes: number } {
  let offset = 0;
  const fields = code(cell)
    .split(',')
    .map((part) => {
      const [name, type] = part.trim().split(/\s+/);
      if (!(type in SIZE)) throw new Error(`unknown field type "${type}" in layout "${cell}"`);
      const field = { name, type: type as FieldType, offset };
      offset += SIZE[type as FieldType];
      return field;
    });
  return { fields, bytes: offset };
}

export function readField(view: DataView, at: number, f: DocField): number {
  const o = at + f.offset;
  if (f.type === 'u8') return view.getUint8(o);
  if (f.type === 'u16') return view.getUint16(o, true);
  if (f.type === 'u32') return view.getUint32(o, true);
  return view.getFloat64(o, true);
}

export function writeField(view: DataView, at: number, f: DocField, value: number): void {
  const o = at + f.offset;
  if (f.type === 'u8') view.setUint8(o, value);
  else if (f.type === 'u16') view.setUint16(o, value, true);
  else if (f.type === 'u32') view.setUint32(o, value, true);
  else view.setFloat64(o, value, true);
}
