// The seek bar: a range input labelled with timecodes, keyframe marks, and a hover preview rendered by the server
// (GET /api/recordings/:id/frame.jpeg?t=...&width=160).
import { formatSmpte } from '../../../shared/timecode';
import { withToken } from './token';

/** Hover previews are snapped to this grid so repeated hovers hit the browser cache. */
const THUMB_STEP_MS = 250;

export class SeekBar {
  private durationMs = 0;
  private dragging = false;
  private thumbTimer = 0;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly marks: HTMLElement,
    private readonly ticks: HTMLElement,
    private readonly hover: { box: HTMLElement; image: HTMLImageElement; label: HTMLElement },
    private readonly id: string,
    private readonly frameRate: () => number,
    onSeek: (ms: number) => void,
  ) {
    input.min = '0';
    input.step = 'any';
    input.addEventListener('pointerdown', () => (this.dragging = true));
    input.addEventListener('change', () => {
      this.dragging = false;
      onSeek(Number(input.value));
    });
    input.addEventListener('input', () => this.showLabel(Number(input.value)));
    input.addEventListener('pointermove', (e) => this.preview(e.clientX));
    input.addEventListener('pointerleave', () => (this.hover.box.hidden = true));
  }

  setDuration(ms: number): void {
    if (ms === this.durationMs) return;
    this.durationMs = ms;
    this.input.max = String(Math.max(1, ms));
    // Timecode labels under the bar: start, quarters, end.
    this.ticks.replaceChildren(
      ...[0, 0.25, 0.5, 0.75, 1].map((f) => {
        const label = document.createElement('span');
        label.style.left = `${f * 100}%`;
        label.textContent = formatSmpte(f * ms, this.frameRate());
        return label;
      }),
    );
  }

  setTime(ms: number): void {
    if (!this.dragging) this.input.value = String(ms);
    this.input.style.setProperty('--progress', `${this.durationMs ? (100 * ms) / this.durationMs : 0}%`);
  }

  setKeyframes(times: number[]): void {
    this.marks.replaceChildren(
      ...times.map((t) => {
        const mark = document.createElement('span');
        mark.style.left = `${this.durationMs ? (100 * t) / this.durationMs : 0}%`;
        mark.title = `keyframe ${formatSmpte(t, this.frameRate())}`;
        return mark;
      }),
    );
  }

  private timeAt(clientX: number): number {
    const box = this.input.getBoundingClientRect();
    const fraction = Math.max(0, Math.min(1, (clientX - box.left) / Math.max(1, box.width)));
    return fraction * this.durationMs;
  }

  private showLabel(ms: number): void {
    this.hover.label.textContent = formatSmpte(ms, this.frameRate());
  }

  private preview(clientX: number): void {
    if (!this.durationMs) return;
    const ms = this.timeAt(clientX);
    const box = this.input.getBoundingClientRect();
    this.hover.box.hidden = false;
    this.hover.box.style.left = `${clientX - box.left}px`;
    this.showLabel(ms);
    // Debounced: a sweep across the bar asks for the frames it stops on, not every pixel.
    clearTimeout(this.thumbTimer);
    this.thumbTimer = window.setTimeout(() => {
      const snapped = Math.min(this.durationMs, Math.round(ms / THUMB_STEP_MS) * THUMB_STEP_MS);
      this.hover.image.src = withToken(
        `/api/recordings/${encodeURIComponent(this.id)}/frame.jpeg?t=${(snapped / 1000).toFixed(3)}&width=160`,
      );
    }, 80);
  }
}
