// Viewer page: downlink -> Display (paint at sync) plus state card, zoom modes, full screen and a stats strip.
import { Display } from '../../lib/display';
import { $, setPill } from '../../lib/dom';
import { Downlink, type ViewerState } from '../../lib/downlink';
import { earlySocketOutcome } from '../../lib/early-socket';
import { PointerOverlay } from '../../lib/pointer-overlay';
import { fetchRoomName } from '../../lib/room-name';
import { roomFromPath, tokenFromQuery } from '../../lib/urls';
import { StateCard } from './state-card';
import { StatsBar } from './stats-bar';

const room = roomFromPath();
const stage = $('stage');
const canvas = $<HTMLCanvasElement>('screen');
const pill = $('state-pill');
const viewersLabel = $('viewers');
$('room-name').textContent = `Room ${room}`;
document.title = `Watch ${room} · tilecast`;
/** Asked once the socket is admitted: a wrong or revoked token would otherwise also cost a 401 in the console. */
let nameAsked = false;
function showRoomName(): void {
  nameAsked = true;
  void fetchRoomName(room, tokenFromQuery()).then((name) => {
    if (!name) return;
    $('room-name').textContent = name;
    document.title = `${name} · tilecast`;
  });
}

const display = new Display(canvas);
const pointer = new PointerOverlay(canvas, $('canvas-wrap'));
const card = new StateCard();
let everLive = false;

const PILL: Record<ViewerState, string> = {
  connecting: 'Connecting…',
  waiting: 'Waiting',
  live: 'Live',
  loading: 'Loading…',
  reconnecting: 'Presenter reconnecting',
  ended: 'Ended',
  offline: 'Reconnecting…',
  error: 'Unavailable',
};

// ?maxLag=ms tunes how far behind the viewer may fall before it rejoins at the live picture (0 = never).
const maxLagParam = new URLSearchParams(location.search).get('maxLag');
const maxLagMs =
  maxLagParam === null ? undefined : Number(maxLagParam) > 0 ? Number(maxLagParam) : Number.POSITIVE_INFINITY;

const downlink = new Downlink(
  room,
  tokenFromQuery(),
  display,
  {
    state(state, detail) {
      if (!nameAsked && state !== 'connecting' && state !== 'offline' && state !== 'error') showRoomName();
      document.body.dataset.state = stage.dataset.state = state;
      setPill(pill, state, PILL[state]);
      if (state === 'live') everLive = true;
      card.show(state, detail, everLive);
      if (state === 'ended' || state === 'error') viewersLabel.textContent = '';
    },
    // Shown once it holds a picture: while the first one loads, an empty 1080p canvas under the grey filter and the
    // card's backdrop blur was recomposited on every frame of the spinner (software compositing; measured with
    // client/bench/probes/late-join-1080p.ts: the GPU process spent 100-230 ms per join, 20-40 ms now).
    firstPicture() {
      canvas.hidden = false;
    },
    cursor: (x, y, visible) => pointer.set(x, y, visible),
    viewers: (n) => {
      // The 'ended' status carries 0 viewers: once over, the page shows no count at all.
      const over = downlink.currentState === 'ended' || downlink.currentState === 'error';
      viewersLabel.textContent = over ? '' : `${n} watching`;
    },
  },
  maxLagMs,
);
downlink.start();

// ---- zoom, full screen, stats ----
const fit = $<HTMLButtonElement>('mode-fit');
const actual = $<HTMLButtonElement>('mode-actual');
function setMode(mode: 'fit' | 'actual'): void {
  stage.dataset.mode = mode;
  fit.setAttribute('aria-pressed', String(mode === 'fit'));
  actual.setAttribute('aria-pressed', String(mode === 'actual'));
  pointer.place();
}
fit.addEventListener('click', () => setMode('fit'));
actual.addEventListener('click', () => setMode('actual'));

const fullscreen = $<HTMLButtonElement>('fullscreen');
function toggleFullscreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void stage.requestFullscreen().catch(() => {});
}
fullscreen.addEventListener('click', toggleFullscreen);
document.addEventListener('fullscreenchange', () => {
  fullscreen.textContent = document.fullscreenElement ? 'Exit full screen' : 'Full screen';
  pointer.place();
});

const stats = new StatsBar($('stats'), $<HTMLButtonElement>('toggle-stats'), () => ({
  ...downlink.stats(),
  size: display.size,
}));
if (new URLSearchParams(location.search).has('stats')) stats.toggle();

document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === 'f' || e.key === 'F') setMode('fit');
  else if (e.key === '1') setMode('actual');
  else if (e.key === 's' || e.key === 'S') stats.toggle();
  else if (e.key === 'Enter') toggleFullscreen();
});

/** Hooks for the end-to-end tests and for debugging from the console. */
Object.assign(window, {
  tilecastViewer: {
    state: () => downlink.currentState,
    history: () => [...downlink.history],
    stats: () => downlink.stats(),
    setMode,
    idle: () => display.idle(),
    drop: () => downlink.drop(),
    earlySocket: () => earlySocketOutcome,
  },
});
