// Hooks for things that follow a room without being on its fan-out path (the recorder, the cluster's origin).
import type { Geometry } from '../../shared/protocol';
import type { MotionChunk } from '../fanout/motion';
import type { IngestedFrame } from '../frames/tile-entry';
import type { ScreenShotView } from './screenshot';

export interface RoomObserver {
  /** geometry set or changed; the ScreenShot is empty right after */
  geometry?(geometry: Geometry, receivedAt: number): void;
  /** a frame applied to the ScreenShot; `keyframe` is the ScreenShot right after it */
  frame?(frame: IngestedFrame, keyframe: ScreenShotView): void;
  /** a motion chunk relayed to viewers (not part of the ScreenShot) */
  motion?(chunk: MotionChunk): void;
  /** the raw Cursor message bytes (owned), with the decoded position */
  cursor?(message: Uint8Array, x: number, y: number, visible: boolean, receivedAt: number): void;
  /** the room ended; no more calls follow */
  ended?(reason: string): void;
}
