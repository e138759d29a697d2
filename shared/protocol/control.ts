// JSON control messages (text frames), validated with zod on both sides.
import { z } from 'zod';
import { PROTOCOL_VERSION } from './constants';

/** client -> server */
export const ClientControl = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), protocol: z.literal(PROTOCOL_VERSION), client: z.string().max(100).optional() }),
  /** presenter only: end the room on purpose (viewers get status ended, then a normal close) */
  z.object({ type: z.literal('end') }),
  z.object({ type: z.literal('ping'), t: z.number().finite() }),
  /**
   * viewer only: "I have painted this many syncs on this connection". Once a viewer acks, the server keeps at
   * most `ackWindow` syncs unacknowledged, so frames coalesce on the server instead of queueing in OS buffers.
   */
  z.object({ type: z.literal('ack'), syncs: z.number().int().min(0) }),
]);
export type ClientControl = z.infer<typeof ClientControl>;

/** server -> client */
export const ServerControl = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('welcome'),
    protocol: z.literal(PROTOCOL_VERSION),
    role: z.enum(['presenter', 'viewer']),
    room: z.string(),
    /** presenter: true when this connection resumed a room within the grace period */
    resumed: z.boolean(),
    /** server limits the client should respect */
    limits: z.object({
      maxMessageBytes: z.number(),
      maxTileBytes: z.number(),
      maxTilesPerFrame: z.number(),
      /** syncs a viewer may leave unacknowledged once it acks */
      ackWindow: z.number().optional(),
      /** columns x rows a geometry may have */
      maxTilesPerRoom: z.number().optional(),
      /** geometry changes per second before the presenter is closed with 4429 */
      maxGeometryChangesPerSecond: z.number().optional(),
    }),
  }),
  z.object({ type: z.literal('pong'), t: z.number(), serverTime: z.number() }),
  /** presenter only: a viewer waits for a motion key (it joined, or dropped deltas): make the next chunk one */
  z.object({ type: z.literal('motionKey') }),
]);
export type ServerControl = z.infer<typeof ServerControl>;

export function parseClientControl(text: string): ClientControl {
  return ClientControl.parse(JSON.parse(text));
}
export function parseServerControl(text: string): ServerControl {
  return ServerControl.parse(JSON.parse(text));
}
