// A healthy room beside the one under attack: its presenter sends a small real frame every `periodMs` and its
// viewer's message arrival times are kept, so a test can assert the attack never stalled other rooms.
import sharp from 'sharp';
import type { TilecastServer } from '../../server/app';
import { encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from './client';
import { createRoom, waitFor, wsUrl } from './server';

const TILE = 64;

export class Bystander {
  private seq = 0;
  /** performance.now() of each message: gaps on the monotonic clock, not the wall clock */
  private readonly arrivals: number[] = [];
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    readonly presenter: TestClient,
    readonly viewer: TestClient,
    private readonly tile: Uint8Array,
  ) {
    viewer.ws.on('message', () => this.arrivals.push(performance.now()));
  }

  /** Opens the room and starts sending; resolves once the viewer got its first frame. */
  static async start(server: Pick<TilecastServer, 'url' | 'port'>, periodMs = 50): Promise<Bystander> {
    const room = await createRoom(server);
    // A real PNG of the tile's size, so ingest checks on image headers accept it.
    const png = await sharp({ create: { width: TILE, height: TILE, channels: 3, background: '#3a7' } })
      .png()
      .toBuffer();
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: TILE * 2, height: TILE, tileSize: TILE }));
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const b = new Bystander(presenter, viewer, new Uint8Array(png));
    b.timer = setInterval(() => b.sendFrame(), periodMs);
    await waitFor('bystander first sync', () => viewer.syncs.length > 0, 5000);
    return b;
  }

  private sendFrame(): void {
    this.seq++;
    this.presenter.send(
      encodeFrame(this.seq, Date.now(), [{ col: this.seq % 2, row: 0, codec: 'png', payload: this.tile }]),
    );
  }

  /** Forgets arrivals so far: maxGapMs() then covers only what follows. */
  mark(): void {
    this.arrivals.length = 0;
    this.arrivals.push(performance.now());
  }

  /** Longest time without a message since mark(), up to now. */
  maxGapMs(): number {
    const times = [...this.arrivals, performance.now()];
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
    return gap;
  }

  /** Throws unless both sockets are open and the viewer got frames without a gap longer than `maxGapMs`. */
  async expectHealthy(maxGapMs = 1000): Promise<void> {
    const before = this.viewer.syncs.length;
    await waitFor('a bystander frame', () => this.viewer.syncs.length > before, maxGapMs);
    if (this.presenter.closed || this.viewer.closed)
      throw new Error(`bystander closed: ${JSON.stringify(this.presenter.closed ?? this.viewer.closed)}`);
    const gap = this.maxGapMs();
    if (gap > maxGapMs) throw new Error(`bystander viewer went ${gap} ms without a message (allowed ${maxGapMs})`);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.presenter.close();
    await this.viewer.close();
  }
}
