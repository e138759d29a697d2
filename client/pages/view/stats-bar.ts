// The viewer's stats strip under the picture (toggle with the Stats button or S): fps, latency, kbps, skipped tiles.
import { $, formatNumber } from '../../lib/dom';
import type { DownlinkStats } from '../../lib/downlink';
import type { Geometry } from '../../../shared/protocol/geometry';

export class StatsBar {
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly panel: HTMLElement,
    private readonly button: HTMLButtonElement,
    private readonly read: () => DownlinkStats & { size: Geometry | null },
  ) {
    button.addEventListener('click', () => this.toggle());
  }

  toggle(): void {
    const show = this.panel.hidden;
    this.panel.hidden = !show;
    this.button.setAttribute('aria-pressed', String(show));
    if (this.timer) clearInterval(this.timer);
    this.timer = show ? setInterval(() => this.render(), 500) : null;
    if (show) this.render();
  }

  private render(): void {
    const s = this.read();
    $('s-fps').textContent = formatNumber(s.fps, 1);
    $('s-latency').textContent = s.latencyMs === null ? '–' : `${formatNumber(Math.max(0, s.latencyMs))} ms`;
    $('s-kbps').textContent = formatNumber(s.kbps);
    $('s-skipped').textContent = formatNumber(s.skipped);
    $('s-frames').textContent = formatNumber(s.frames);
    $('s-resyncs').textContent = formatNumber(s.resyncs);
    $('s-size').textContent = s.size ? `${s.size.width}×${s.size.height}` : '–';
  }
}
