// A room's live topic: viewers that keep up are subscribed to it, and each frame reaches all of them through one
// publish into the engine (uWS's topics, a C++ loop over the subscribers) instead of one send per viewer from
// JavaScript. A viewer is live only while it holds every frame it was owed with nothing else owed; the fan-out
// moves it back to its own sends the moment that stops being true (see Fanout.publishLive). Engines without topics
// (ws) never have live viewers.
import type { EngineTopics } from '../transport/types';
import type { Viewer } from './viewer';

let rooms = 0;

export class LiveTopic {
  readonly name = `tilecast/live/${++rooms}`;
  /** the engine's topics, known from the first viewer that went live (every viewer of a room is on one engine) */
  private topics: EngineTopics | null = null;
  /** the largest Frame message the live viewers' engine takes (Connection.partBytes) */
  partBytes = Number.POSITIVE_INFINITY;
  count = 0;

  /** Subscribes the viewer, if its engine has topics; it gets everything published from now on. */
  join(viewer: Viewer): void {
    const topics = viewer.conn.topics;
    if (viewer.live || !topics) return;
    topics.subscribe(this.name);
    this.topics = topics;
    this.partBytes = viewer.conn.partBytes ?? Number.POSITIVE_INFINITY;
    viewer.live = true;
    this.count++;
  }

  leave(viewer: Viewer): void {
    if (!viewer.live) return;
    viewer.live = false;
    this.count--;
    viewer.conn.topics?.unsubscribe(this.name);
  }

  publish(message: Uint8Array): void {
    this.topics?.publish(this.name, message);
  }
}
