// A motion message whose chunk starts like a VP8 frame (a key declares `width` x 64), enough for the server's
// checks of the motion layer (it reads only the VP8 frame tag and a key's size, never decodes).
import { encodeMotion } from '../../shared/protocol';

export const MOTION_REGION = { col: 0, row: 0, columns: 2, rows: 1 }; // 128 x 64 px with 64 px tiles

export function motionMessage(
  key: boolean,
  {
    seq = 1,
    width = 128,
    region = MOTION_REGION,
  }: { seq?: number; width?: number; region?: typeof MOTION_REGION } = {},
): Uint8Array {
  const vp8 = key ? [0x00, 0, 0, 0x9d, 0x01, 0x2a, width & 0xff, width >> 8, 64, 0, 1, 2] : [0x01, 0, 0, 7, 7];
  return encodeMotion({ key, codec: 'vp8', seq, captureTs: 0, ...region, payload: Uint8Array.from(vp8) });
}
