// The picture at a time, read from the file: the nearest keyframe at or before it, then every record up to it.
import { RECORD_HEADER_BYTES, RecordType, scanRecords } from '../../shared/recording/format';
import { Picture } from '../../shared/recording/picture';
import { type RecordingHandle, seekKeyframe } from './store';
import { openNoFollow } from './no-follow';

const CHUNK = 1024 * 1024;

/** Replays from the keyframe before `timeMs` up to `timeMs` (inclusive); null when there is no keyframe yet. */
export async function pictureAt(handle: RecordingHandle, timeMs: number): Promise<Picture | null> {
  const seek = seekKeyframe(handle, timeMs);
  if (!seek) return null;
  const picture = new Picture();
  const file = await openNoFollow(handle.path, 'r');
  try {
    let position = seek.offset;
    let carry: Uint8Array | null = null;
    let done = false;
    while (!done && position < handle.dataEnd) {
      // Fresh buffers each round: the picture keeps views of the tiles it took from earlier ones.
      const carried: number = carry?.byteLength ?? 0;
      const need: number =
        carry && carried >= RECORD_HEADER_BYTES
          ? RECORD_HEADER_BYTES + new DataView(carry.buffer, carry.byteOffset).getUint32(4, true)
          : 0;
      const buf: Uint8Array = new Uint8Array(Math.max(CHUNK, need));
      if (carry) buf.set(carry);
      const want = Math.min(buf.byteLength - carried, handle.dataEnd - position);
      const { bytesRead } = await file.read(buf, carried, want, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const bytes: Uint8Array = buf.subarray(0, carried + bytesRead);
      const { consumed, stop } = scanRecords(bytes, position - bytes.byteLength, (r) => {
        if (r.timeMs > timeMs && r.offset !== seek.offset) return false;
        if (r.type === RecordType.End || r.type === RecordType.Index) return false;
        picture.apply(r);
      });
      if (stop !== 'end-of-data') done = true;
      carry = bytes.subarray(consumed);
    }
  } finally {
    await file.close();
  }
  return picture;
}
