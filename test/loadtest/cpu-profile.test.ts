// The bench's CPU-profile section: self time per function from a V8 .cpuprofile, start-up module loading left out.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { topSelfTime } from '../../client/bench/sections/profile';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  scriptId: '0',
  columnNumber: 0,
});

describe('topSelfTime', () => {
  // root -> main -> send (hot), root -> (garbage collector), root -> loader (tsx) -> compile (start-up)
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 5, 7] },
      { id: 2, callFrame: frame('fanOut', 'file:///repo/server/fanout/fanout.ts', 40), children: [3] },
      { id: 3, callFrame: frame('send', 'file:///repo/server/transport/uws.ts', 0) },
      { id: 4, callFrame: frame('(garbage collector)') },
      { id: 5, callFrame: frame('load', 'file:///repo/node_modules/tsx/dist/loader.mjs', 3), children: [6] },
      { id: 6, callFrame: frame('compile', 'node:internal/vm', 1) },
      { id: 7, callFrame: frame('(idle)') },
    ],
    samples: [3, 3, 3, 2, 4, 6, 6, 7, 7, 7],
    timeDeltas: [1000, 1000, 1000, 500, 700, 2000, 2000, 9000, 9000, 9000],
  };

  it('ranks functions by self time, counts GC, leaves out idle time and start-up module loading', () => {
    const r = topSelfTime(profile, '/repo', 3);
    expect(r.totalMs).toBe(4);
    expect(r.loadingMs).toBe(4);
    expect(r.gcShare).toBe(0.167);
    expect(r.top.map((t) => [t.functionName, t.location, t.selfMs])).toEqual([
      ['send', 'server/transport/uws.ts', 3],
      ['(garbage collector)', '(native)', 1],
      ['fanOut', 'server/fanout/fanout.ts:41', 1],
    ]);
    expect(r.top[0].selfShare).toBe(0.714);
  });

  it('places a frame in a bundle at its source line, through the source map beside the bundle', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'profile-map-'));
    try {
      const source = path.join(dir, 'src', 'hot.ts');
      const lines = ['// padding', 'export const x: number = 1;', '', 'export function hot(n: number): number {'];
      writeFileSync(path.join(dir, 'entry.ts'), "import { hot } from './src/hot';\nconsole.log(hot(2));\n");
      mkdirSync(path.join(dir, 'src'));
      writeFileSync(source, `${lines.join('\n')}\n  return n * 2;\n}\n`);
      const out = path.join(dir, 'dist', 'entry.mjs');
      await build({
        entryPoints: [path.join(dir, 'entry.ts')],
        outfile: out,
        bundle: true,
        format: 'esm',
        sourcemap: 'linked',
      });
      const bundled = readFileSync(out, 'utf8').split('\n');
      const line = bundled.findIndex((l) => l.includes('function hot('));
      const column = bundled[line].indexOf('function hot(');
      const mapped = {
        nodes: [
          { id: 1, callFrame: frame('(root)'), children: [2] },
          { id: 2, callFrame: { ...frame('hot', `file://${out}`, line), columnNumber: column } },
        ],
        samples: [2],
        timeDeltas: [1000],
      };
      expect(topSelfTime(mapped, dir, 1).top[0].location).toBe('src/hot.ts:4');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
