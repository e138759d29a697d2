// Decides which tiles each presenter frame carries. Content mode replays the desktop timeline one step per frame
// (idle steps send nothing); rate mode sends a fixed tiles/s from the same stream of changes, in order.
import type { Content, ContentTile } from './content';

export interface FrameSource {
  /** tiles for the next frame (may be empty: nothing changed) */
  next(): ContentTile[];
}

export class TimelineSource implements FrameSource {
  private step: number;
  constructor(
    private readonly content: Content,
    offset: number,
  ) {
    this.step = offset % content.steps.length;
  }
  next(): ContentTile[] {
    this.step = (this.step + 1) % this.content.steps.length;
    // step 0 is stored as the full first keyframe; in the cycle it follows an identical screen
    return this.step === 0 ? [] : this.content.steps[this.step];
  }
}

export class RateSource implements FrameSource {
  private readonly stream: ContentTile[];
  private at: number;
  private credit = 0;
  constructor(
    content: Content,
    private readonly tilesPerFrame: number,
    offset: number,
  ) {
    this.stream = content.steps.slice(1).flat();
    this.at = (offset * 97) % this.stream.length;
  }
  next(): ContentTile[] {
    this.credit += this.tilesPerFrame;
    const out: ContentTile[] = [];
    const seen = new Set<number>();
    while (this.credit >= 1) {
      const tile = this.stream[this.at];
      // a tile changed again: leave it for the next frame, as a real capture would
      if (seen.has(tile.index)) break;
      seen.add(tile.index);
      out.push(tile);
      this.at = (this.at + 1) % this.stream.length;
      this.credit--;
    }
    if (this.credit > this.tilesPerFrame * 4) this.credit = this.tilesPerFrame * 4;
    return out;
  }
}
