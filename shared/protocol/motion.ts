// The motion layer's shared pieces: a region in tile units and its pixels, and the one check the server makes of a
// chunk's bitstream (a VP8 frame tag says key or delta, and a key frame declares its size in plain bytes).
import type { Geometry } from './geometry';

/** A rectangle of whole tiles: columns `col`..`col + columns - 1`, rows `row`..`row + rows - 1`. */
export interface MotionRegion {
  col: number;
  row: number;
  columns: number;
  rows: number;
}

/** The region's pixels: its tiles' rectangles together, clipped to the screen like edge tiles. */
export function motionRect(g: Geometry, r: MotionRegion): { x: number; y: number; width: number; height: number } {
  const x = r.col * g.tileSize;
  const y = r.row * g.tileSize;
  return {
    x,
    y,
    width: Math.min((r.col + r.columns) * g.tileSize, g.width) - x,
    height: Math.min((r.row + r.rows) * g.tileSize, g.height) - y,
  };
}

/** Bytes of a motion message's tile mask: one bit per tile of the region. */
export const motionMaskBytes = (r: MotionRegion): number => Math.ceil((r.columns * r.rows) / 8);

/** Whether the mask marks tile `i` of the region (row by row). */
export const inMotionMask = (mask: Uint8Array, i: number): boolean => ((mask[i >> 3] >> (i & 7)) & 1) === 1;

/** Marks tile `i` of the region (row by row) in the mask. */
export function markMotionMask(mask: Uint8Array, i: number): void {
  mask[i >> 3] |= 1 << (i & 7);
}

export function sameRegion(a: MotionRegion | null, b: MotionRegion | null): boolean {
  return !!a && !!b && a.col === b.col && a.row === b.row && a.columns === b.columns && a.rows === b.rows;
}

/**
 * What a VP8 chunk's first bytes say (RFC 6386 9.1): bit 0 of the frame tag is 0 for a key frame, which then
 * carries the start code 9d 01 2a and its 14-bit width and height. null: too short or no start code on a key frame.
 */
export function vp8FrameInfo(payload: Uint8Array): { key: boolean; width: number; height: number } | null {
  if (payload.byteLength < 3) return null;
  const key = (payload[0] & 1) === 0;
  if (!key) return { key, width: 0, height: 0 };
  if (payload.byteLength < 10 || payload[3] !== 0x9d || payload[4] !== 0x01 || payload[5] !== 0x2a) return null;
  return {
    key,
    width: (payload[6] | (payload[7] << 8)) & 0x3fff,
    height: (payload[8] | (payload[9] << 8)) & 0x3fff,
  };
}
