// Replay page (/replay/:id): recording info -> Player (Range reads from the nearest keyframe onto the viewer's
// Display) + seek bar with timecodes and hover previews, play/pause, speed and jump-to-timecode.
import { formatSmpte, parseTimecode } from '../../../shared/timecode';
import { Display } from '../../lib/display';
import { $, setPill, showBanner } from '../../lib/dom';
import { PointerOverlay } from '../../lib/pointer-overlay';
import { Player, type ReplayMeta } from './player';
import { SeekBar } from './seek-bar';
import { withToken } from './token';

const id = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');
const api = `/api/recordings/${encodeURIComponent(id)}`;
const canvas = $<HTMLCanvasElement>('screen');
const pill = $('state-pill');
const banner = $('banner');
const clock = $('clock');
const playButton = $<HTMLButtonElement>('play');
const speed = $<HTMLSelectElement>('speed');
const jumpForm = $<HTMLFormElement>('jump');
const jumpInput = $<HTMLInputElement>('jump-input');
const jumpError = $('jump-error');
$('recording-name').textContent = id;
document.title = `Replay ${id} · tilecast`;

let meta: ReplayMeta & { keyframes: number; room: string; startedAt: string } = {
  id,
  durationMs: 0,
  dataEnd: 0,
  inProgress: false,
  frameRate: 30,
  keyframes: 0,
  room: '',
  startedAt: '',
};

async function loadMeta(): Promise<boolean> {
  const res = await fetch(withToken(api));
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    fail(body?.error?.message ?? `HTTP ${res.status}`);
    return false;
  }
  meta = body;
  bar.setDuration(meta.durationMs);
  setPill(pill, meta.inProgress ? 'live' : 'ended', meta.inProgress ? 'Recording' : 'Recorded');
  $('facts').textContent =
    `room ${meta.room} · ${new Date(meta.startedAt).toLocaleString()} · ${meta.keyframes} keyframes`;
  return true;
}

function fail(message: string): void {
  setPill(pill, 'error', 'Unavailable');
  $('state-title').textContent = 'This recording cannot be played';
  $('state-text').textContent = message;
  $('state-card').hidden = false;
}

function showTime(ms: number): void {
  clock.textContent = `${formatSmpte(ms, meta.frameRate)} / ${formatSmpte(meta.durationMs, meta.frameRate)}`;
  bar.setTime(ms);
  document.body.dataset.time = String(Math.round(ms));
}

const display = new Display(canvas);
const pointer = new PointerOverlay(canvas, $('canvas-wrap'));
display.onCommit = (c) => (document.body.dataset.seq = String(c.seq));
const player = new Player(() => meta, display, pointer, {
  time: showTime,
  playing: (playing) => {
    playButton.textContent = playing ? 'Pause' : 'Play';
    playButton.setAttribute('aria-pressed', String(playing));
  },
  gap: (inGap) =>
    showBanner(
      banner,
      inGap
        ? 'Part of this recording is missing here (the server could not keep up with the disk); the picture resumes at the next keyframe.'
        : null,
      'warn',
    ),
  buffering: (waiting) => (document.body.dataset.buffering = String(waiting)),
  error: (message) => showBanner(banner, message, 'bad'),
});

const bar = new SeekBar(
  $<HTMLInputElement>('seek'),
  $('marks'),
  $('ticks'),
  { box: $('hover'), image: $<HTMLImageElement>('hover-image'), label: $('hover-label') },
  id,
  () => meta.frameRate,
  (ms) => void seekTo(ms),
);

async function seekTo(ms: number): Promise<void> {
  document.body.dataset.seeking = 'true';
  await player.seek(ms);
  await player.settled();
  document.body.dataset.seeking = 'false';
}

playButton.addEventListener('click', () => (player.playing ? player.pause() : player.play()));
speed.addEventListener('change', () => player.setSpeed(Number(speed.value)));
jumpForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const parsed = parseTimecode(jumpInput.value, meta.frameRate, meta.durationMs);
  jumpError.textContent = parsed.ok ? '' : parsed.message;
  jumpInput.setAttribute('aria-invalid', String(!parsed.ok));
  if (parsed.ok) void seekTo(parsed.ms);
});
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  if (e.key === ' ') {
    e.preventDefault();
    playButton.click();
  } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
    void seekTo(player.mediaMs + (e.key === 'ArrowLeft' ? -5000 : 5000));
  }
});

/** For tests and tools: drive the player without the UI. */
declare global {
  interface Window {
    tilecastReplay?: { seek(ms: number): Promise<void>; player: Player };
  }
}
window.tilecastReplay = { seek: seekTo, player };

if (await loadMeta()) {
  canvas.hidden = false;
  const marks = await fetch(withToken(`${api}/keyframes`))
    .then((r) => r.json())
    .catch(() => null);
  if (marks) bar.setKeyframes(marks.times);
  const start = new URLSearchParams(location.search).get('t');
  const parsed = start ? parseTimecode(start, meta.frameRate, meta.durationMs) : null;
  if (parsed && !parsed.ok) jumpError.textContent = parsed.message;
  await seekTo(parsed?.ok ? parsed.ms : 0);
  document.body.dataset.ready = 'true';
  // A recording in progress grows: follow its durable end.
  if (meta.inProgress) {
    const follow = setInterval(async () => {
      await loadMeta();
      if (!meta.inProgress) clearInterval(follow);
    }, 1000);
  }
}
