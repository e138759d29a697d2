// Opening a recording that is not being written: header, then the index named by the trailer. A file without a
// valid trailer (the process was killed) is scanned, its torn last record cut off, and the index appended.
import type { FileHandle } from 'node:fs/promises';
import {
  FILE_HEADER_FIXED_BYTES,
  MAX_RECORD_BODY_BYTES,
  RECORD_HEADER_BYTES,
  type RecordingHeader,
  RecordType,
  TRAILER_BYTES,
  decodeHeaderJson,
  decodeIndex,
  decodeTrailer,
  encodeIndex,
  encodeRecordHeader,
  encodeTrailer,
  readFileHeaderPrefix,
  scanRecords,
} from '../../shared/recording/format';
import type { Logger } from '../log';
import { CorruptRecordingError, describeIssues } from '../errors';
import { RecordingHeaderSchema } from './header';
import { KeyframeIndex } from './keyframe-index';
import { openNoFollow } from './no-follow';

export interface FileState {
  header: RecordingHeader;
  dataStart: number;
  /** where media records end (the index record's offset) */
  dataEnd: number;
  /** whole file length */
  size: number;
  durationMs: number;
  gaps: number;
  index: KeyframeIndex;
  /** set when this open had to rebuild the index */
  recovered: { cutBytes: number; reason: string } | null;
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await file.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

export async function readHeader(
  file: FileHandle,
  id: string,
): Promise<{ header: RecordingHeader; dataStart: number }> {
  const prefix = readFileHeaderPrefix(await readAt(file, 0, FILE_HEADER_FIXED_BYTES));
  if ('error' in prefix) throw new CorruptRecordingError(id, prefix.error);
  const json = await readAt(file, FILE_HEADER_FIXED_BYTES, prefix.jsonBytes);
  let parsed: unknown;
  try {
    parsed = decodeHeaderJson(json);
  } catch {
    throw new CorruptRecordingError(id, 'header is not valid JSON');
  }
  const header = RecordingHeaderSchema.safeParse(parsed);
  if (!header.success) throw new CorruptRecordingError(id, `bad header: ${describeIssues(header.error, 'header')}`);
  return { header: header.data, dataStart: FILE_HEADER_FIXED_BYTES + prefix.jsonBytes };
}

/** Opens a finished (or crashed) recording; `repair` lets it cut a torn tail and write the rebuilt index. */
export async function openRecordingFile(path: string, id: string, log: Logger, repair = true): Promise<FileState> {
  const file = await openNoFollow(path, repair ? 'r+' : 'r');
  try {
    const { header, dataStart } = await readHeader(file, id);
    const size = (await file.stat()).size;
    const indexed = await readTrailerIndex(file, dataStart, size);
    if (indexed) return { header, dataStart, size, recovered: null, ...indexed };
    const scan = await scanFile(file, dataStart, size);
    const cutBytes = size - scan.validEnd;
    if (!repair)
      return {
        header,
        dataStart,
        size: scan.validEnd,
        dataEnd: scan.validEnd,
        durationMs: scan.lastTimeMs,
        gaps: scan.gaps,
        index: scan.index,
        recovered: { cutBytes, reason: scan.reason },
      };
    const finished = await appendIndex(file, scan);
    log.warn(
      { recording: id, cutBytes, keyframes: scan.index.count, durationMs: scan.lastTimeMs, reason: scan.reason },
      'recording had no valid index; rebuilt it by scanning',
    );
    return {
      header,
      dataStart,
      size: finished.size,
      dataEnd: scan.validEnd,
      durationMs: scan.lastTimeMs,
      gaps: scan.gaps,
      index: scan.index,
      recovered: { cutBytes, reason: scan.reason },
    };
  } finally {
    await file.close();
  }
}

async function readTrailerIndex(file: FileHandle, dataStart: number, size: number) {
  if (size < dataStart + RECORD_HEADER_BYTES + TRAILER_BYTES) return null;
  const indexOffset = decodeTrailer(await readAt(file, size - TRAILER_BYTES, TRAILER_BYTES));
  if (indexOffset === null || indexOffset < dataStart) return null;
  const recordLength = size - TRAILER_BYTES - indexOffset;
  if (recordLength < RECORD_HEADER_BYTES || recordLength > MAX_RECORD_BODY_BYTES) return null;
  const record = await readAt(file, indexOffset, recordLength);
  let body: Uint8Array | null = null;
  scanRecords(record, indexOffset, (r) => {
    if (
      r.type === RecordType.Index &&
      r.offset === indexOffset &&
      r.body.byteLength === recordLength - RECORD_HEADER_BYTES
    )
      body = r.body;
    return false;
  });
  const index = body ? decodeIndex(body) : null;
  // A stale index (one that does not describe the bytes before it) is as good as none.
  if (!index || index.dataEnd !== indexOffset) return null;
  for (let i = 0; i < index.count; i++)
    if (index.offsets[i] < dataStart || index.offsets[i] >= indexOffset) return null;
  return {
    dataEnd: indexOffset,
    durationMs: index.durationMs,
    gaps: index.gaps,
    index: KeyframeIndex.from(index.times, index.offsets, index.count),
  };
}

interface ScanResult {
  index: KeyframeIndex;
  validEnd: number;
  lastTimeMs: number;
  gaps: number;
  ended: boolean;
  reason: string;
}

const SCAN_CHUNK = 4 * 1024 * 1024;

/** Reads every record header (and checks each body's structure) from dataStart; stops at the first bad or torn one. */
export async function scanFile(file: FileHandle, dataStart: number, size: number): Promise<ScanResult> {
  const out: ScanResult = {
    index: new KeyframeIndex(),
    validEnd: dataStart,
    lastTimeMs: 0,
    gaps: 0,
    ended: false,
    reason: 'complete',
  };
  let buf = new Uint8Array(SCAN_CHUNK);
  let bufStart = dataStart;
  let filled = 0;
  let position = dataStart;
  let sawIndex = false;
  for (;;) {
    const { bytesRead } = await file.read(buf, filled, buf.byteLength - filled, position);
    position += bytesRead;
    filled += bytesRead;
    const { consumed, stop } = scanRecords(
      buf.subarray(0, filled),
      bufStart,
      (r) => {
        // An index record without a valid trailer is stale: the data before it is rebuilt, it is dropped.
        if (r.type === RecordType.Index) {
          sawIndex = true;
          return false;
        }
        if (r.type === RecordType.Keyframe) out.index.add(r.timeMs, r.offset);
        if (r.type === RecordType.Gap) out.gaps++;
        if (r.type === RecordType.End) out.ended = true;
        out.lastTimeMs = Math.max(out.lastTimeMs, r.timeMs);
        out.validEnd = r.offset + RECORD_HEADER_BYTES + r.body.byteLength;
      },
      true,
    );
    if (stop === 'stopped' || sawIndex) {
      out.reason = 'stale index';
      return out;
    }
    if (stop === 'invalid') {
      out.reason = `invalid record at byte ${bufStart + consumed}`;
      return out;
    }
    const rest = filled - consumed;
    if (rest === 0 && (bytesRead === 0 || position >= size)) {
      out.reason = out.ended ? 'index missing' : 'no end record';
      return out;
    }
    if (bytesRead === 0) {
      out.reason = `torn record at byte ${bufStart + consumed} (${rest} bytes)`;
      return out;
    }
    // Keep the partial record at the front; grow the buffer when one record is larger than it.
    const need =
      rest >= RECORD_HEADER_BYTES
        ? RECORD_HEADER_BYTES + new DataView(buf.buffer, buf.byteOffset + consumed).getUint32(4, true)
        : 0;
    if (need > buf.byteLength) {
      const bigger = new Uint8Array(need);
      bigger.set(buf.subarray(consumed, filled));
      buf = bigger;
    } else buf.copyWithin(0, consumed, filled);
    bufStart += consumed;
    filled = rest;
  }
}

/** Cuts the torn tail and appends end (if missing), index and trailer, so the next open is instant. */
async function appendIndex(file: FileHandle, scan: ScanResult): Promise<{ size: number }> {
  await file.truncate(scan.validEnd);
  const parts: Uint8Array[] = [];
  if (!scan.ended) {
    const reason = new TextEncoder().encode(`recovered: ${scan.reason}`);
    parts.push(encodeRecordHeader(RecordType.End, reason.byteLength, scan.lastTimeMs), reason);
  }
  let at = scan.validEnd;
  for (const p of parts) at += p.byteLength;
  const indexOffset = at;
  const body = encodeIndex({
    ...scan.index.snapshot(),
    durationMs: scan.lastTimeMs,
    dataEnd: indexOffset,
    gaps: scan.gaps,
  });
  parts.push(encodeRecordHeader(RecordType.Index, body.byteLength, scan.lastTimeMs), body, encodeTrailer(indexOffset));
  const { bytesWritten } = await file.writev(parts, scan.validEnd);
  await file.datasync();
  const size = scan.validEnd + bytesWritten;
  // Media records end where the index starts; a recovery end record counts as data.
  scan.validEnd = indexOffset;
  return { size };
}
