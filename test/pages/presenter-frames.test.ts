// Every VideoFrame the presenter's capture worker receives is closed exactly once, on every path (issue 12,
// item 3): replaced while pending, read after stop, from a replaced stream, or when drawing it throws.
import { describe, expect, it } from 'vitest';
import { FramePump } from '../../client/pages/present/frame-pump';
import { FrameSlot, useAndClose } from '../../client/pages/present/frame-slot';

class FakeFrame {
  closed = 0;
  constructor(readonly id: number) {}
  close(): void {
    this.closed++;
  }
}
const asVideoFrame = (f: FakeFrame) => f as unknown as VideoFrame;

function stream(): { readable: ReadableStream<VideoFrame>; push(f: FakeFrame): void; cancelled: () => boolean } {
  let controller!: ReadableStreamDefaultController<VideoFrame>;
  let cancelled = false;
  const readable = new ReadableStream<VideoFrame>({
    start: (c) => void (controller = c),
    cancel: () => void (cancelled = true),
  });
  return { readable, push: (f) => controller.enqueue(asVideoFrame(f)), cancelled: () => cancelled };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('presenter frame ownership', () => {
  it('the slot keeps only the newest frame and closes the ones it replaces', () => {
    const slot = new FrameSlot<FakeFrame>();
    const [a, b] = [new FakeFrame(1), new FakeFrame(2)];
    expect(slot.put(a)).toBe(true);
    expect(slot.put(b)).toBe(true);
    expect(a.closed).toBe(1);
    expect(slot.take()).toBe(b);
    expect(slot.empty).toBe(true);
    expect(b.closed).toBe(0); // the taker owns it now
  });

  it('after stop the slot closes what it held and every frame that still arrives', () => {
    const slot = new FrameSlot<FakeFrame>();
    const held = new FakeFrame(1);
    slot.put(held);
    slot.stop();
    expect(held.closed).toBe(1);
    const late = new FakeFrame(2);
    expect(slot.put(late)).toBe(false);
    expect(late.closed).toBe(1);
    expect(slot.take()).toBeNull();
    slot.restart();
    const next = new FakeFrame(3);
    expect(slot.put(next)).toBe(true);
    expect(next.closed).toBe(0);
  });

  it('a frame whose drawing throws is still closed', () => {
    const frame = new FakeFrame(1);
    expect(() =>
      useAndClose(frame, () => {
        throw new Error('drawImage: the frame is detached');
      }),
    ).toThrow(/detached/);
    expect(frame.closed).toBe(1);
    expect(useAndClose(new FakeFrame(2), (f) => f.id)).toBe(2);
  });

  it('the pump delivers frames while running; a frame read just before stop is closed, not delivered', async () => {
    const delivered: FakeFrame[] = [];
    const pump = new FramePump((f) => delivered.push(f as unknown as FakeFrame));
    const s = stream();
    pump.start(s.readable);
    const first = new FakeFrame(1);
    s.push(first);
    await tick();
    expect(delivered).toEqual([first]);
    // The read resolves with this frame, but stop() runs before the pump's loop sees it.
    const late = new FakeFrame(2);
    s.push(late);
    const stopped = pump.stop();
    await stopped;
    expect(s.cancelled()).toBe(true);
    expect(delivered).toEqual([first]);
    expect(late.closed).toBe(1);
  });

  it('stop() resolves only once the read loop has ended', async () => {
    const pump = new FramePump(() => {});
    const s = stream();
    pump.start(s.readable);
    let done = false;
    const stopping = pump.stop().then(() => (done = true));
    expect(done).toBe(false);
    await stopping;
    expect(done).toBe(true);
    // A second stop, or one without a source, is harmless.
    await pump.stop();
  });

  it('a new source replaces the old one: frames still read from the old stream are closed', async () => {
    const delivered: FakeFrame[] = [];
    const pump = new FramePump((f) => delivered.push(f as unknown as FakeFrame));
    const a = stream();
    const b = stream();
    pump.start(a.readable);
    const stale = new FakeFrame(1);
    a.push(stale);
    pump.start(b.readable);
    const fresh = new FakeFrame(2);
    b.push(fresh);
    await tick();
    expect(delivered).toEqual([fresh]);
    expect(stale.closed).toBe(1);
    await pump.stop();
  });
});
