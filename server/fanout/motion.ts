// The motion relay: forwards the presenter's video chunks (shared/PROTOCOL.md, Motion layer) to viewers as the one
// buffer ingest made, never a copy per viewer. A video stream cannot skip frames the way the tile grid does (a delta
// only decodes on top of every chunk since its key), so each viewer is either in the stream (it got the last key and
// every delta since) or out of it until the next key. A delta that a viewer cannot take now (socket over the
// high-water mark, ack window full: Sender.sendMotion says) puts it out: it never gets an undecodable stream, only
// a shorter one. New viewers and every viewer after a geometry change start out. While any viewer is out, the
// presenter is asked for a key (at most every KEY_REQUEST_INTERVAL_MS), so it is back within about a frame.
import { type MotionCodecName, ProtocolError, ProtocolErrorCode } from '../../shared/protocol';
import { type MotionRegion, sameRegion } from '../../shared/protocol/motion';
import type { Sender } from './sender';
import type { Viewer } from './viewer';

export interface MotionChunk {
  key: boolean;
  codec: MotionCodecName;
  region: MotionRegion;
  /** the whole motion message, owned by the server: sent as is to every viewer */
  message: Uint8Array;
}

export interface MotionCounters {
  /** chunks sent, over every viewer */
  sent: number;
  /** deltas a viewer did not get (it was out of the stream or had no room) */
  dropped: number;
}

/** The presenter is asked for a key at most this often per room: keys are several deltas' worth of bytes. */
export const KEY_REQUEST_INTERVAL_MS = 500;

export class MotionRelay {
  /**
   * Asks the presenter for a key (the room sends `{"type":"motionKey"}`): a viewer is out of the stream, so
   * instead of waiting up to a key interval it resumes within about a frame. Rate-limited here.
   */
  onNeedKey: (() => void) | null = null;
  private keyRequestedAt = Number.NEGATIVE_INFINITY;
  /** codec and region of the last key; deltas must continue it */
  private stream: { codec: MotionCodecName; region: MotionRegion } | null = null;
  /** counts keys (and resets): a viewer is in the stream when its entry equals the current key's number */
  private keyNo = 0;
  private readonly joined = new WeakMap<Viewer, number>();
  private queue: MotionChunk[] = [];
  private pending: NodeJS.Immediate | null = null;
  readonly counters: MotionCounters = { sent: 0, dropped: 0 };

  constructor(
    private readonly sender: Sender,
    /** the fan-out's current viewers (closed ones included; they are skipped) */
    private readonly viewers: () => readonly Viewer[],
    private readonly onError: (err: unknown, viewer: Viewer) => void,
  ) {}

  /**
   * Takes a chunk from ingest: throws (closing the presenter) when a delta does not continue the current stream,
   * as such a delta would leave every viewer's decoder broken. Viewers get it on the next turn, after the frames
   * ingested before it (the fan-out's step was scheduled first), outside the presenter's callback (uWS corks).
   */
  publish(chunk: MotionChunk): void {
    if (chunk.key) this.stream = { codec: chunk.codec, region: chunk.region };
    else if (!this.stream || this.stream.codec !== chunk.codec || !sameRegion(this.stream.region, chunk.region))
      throw new ProtocolError(
        ProtocolErrorCode.BadMotion,
        this.stream
          ? 'motion delta does not continue the current stream (other codec or region: start it with a key)'
          : 'motion delta before any motion key (after a geometry change a stream starts with a key)',
      );
    this.queue.push(chunk);
    this.pending ??= setImmediate(this.flush);
  }

  /** A new geometry: the stream is over for everybody, and a presenter must start the next one with a key. */
  reset(): void {
    this.stream = null;
    this.keyNo++;
    this.queue = [];
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
  }

  private flush = (): void => {
    this.pending = null;
    const queue = this.queue;
    this.queue = [];
    for (const chunk of queue) this.relay(chunk);
  };

  private relay(chunk: MotionChunk): void {
    if (chunk.key) this.keyNo++;
    const keyNo = this.keyNo;
    let waiting = false;
    for (const viewer of this.viewers()) {
      if (viewer.closed) continue;
      if (!chunk.key && this.joined.get(viewer) !== keyNo) {
        this.counters.dropped++;
        waiting = true;
        continue;
      }
      let sent = false;
      try {
        sent = this.sender.sendMotion(viewer, chunk.message);
      } catch (err) {
        this.onError(err, viewer);
      }
      if (sent) {
        this.joined.set(viewer, keyNo);
        this.counters.sent++;
      } else {
        // A key it could not take changes nothing (it waits for the next one); a delta puts it out of the stream.
        this.joined.delete(viewer);
        if (!chunk.key) this.counters.dropped++;
        waiting = true;
      }
    }
    if (waiting) this.requestKey();
  }

  /** Asks for a key, at most every KEY_REQUEST_INTERVAL_MS (also for a replica's viewers, relayed by the cluster). */
  requestKey(now = Date.now()): void {
    if (!this.onNeedKey || now - this.keyRequestedAt < KEY_REQUEST_INTERVAL_MS) return;
    this.keyRequestedAt = now;
    this.onNeedKey();
  }
}
