// Presenter page: wires screen source -> capture worker (tiles, diff, encode, pacing) -> uplink, plus the UI.
import { $, formatNumber, setPill, showBanner, wireCopyButton } from '../../lib/dom';
import { RateMeter } from '../../lib/rate-meter';
import { fetchRoomName } from '../../lib/room-name';
import { roomFromPath, tokenFromQuery } from '../../lib/urls';
import {
  type CaptureSettings,
  DEFAULT_SETTINGS,
  type FrameReport,
  type FromWorker,
  type ToWorker,
} from './capture-protocol';
import { trackPointer } from './pointer-tracker';
import { type ScreenSource, startScreenSource } from './screen-source';
import { Uplink, type UplinkState } from './uplink';
import { readSettings, wireSettings } from './settings-panel';
import { captureSummary } from './stats-text';

type PageState = 'idle' | 'starting' | 'live' | 'offline' | 'ended' | 'error';

const room = roomFromPath();
const token = tokenFromQuery();
const query = new URLSearchParams(location.search);
const viewerToken = query.get('viewerToken');
const viewerLink = `${location.origin}/view/${encodeURIComponent(room)}${viewerToken ? `?token=${encodeURIComponent(viewerToken)}` : ''}`;

const ui = {
  pill: $('state-pill'),
  banner: $('banner'),
  video: $<HTMLVideoElement>('preview-video'),
  emptyState: $('empty-state'),
  liveBadge: $('live-badge'),
  share: $<HTMLButtonElement>('share'),
  shareBig: $<HTMLButtonElement>('share-big'),
  stop: $<HTMLButtonElement>('stop'),
  viewerLink: $<HTMLInputElement>('viewer-link'),
  viewers: $('stat-viewers'),
  fps: $('stat-fps'),
  kbps: $('stat-kbps'),
  tiles: $('stat-tiles'),
  detail: $('stat-detail'),
};

$('room-name').textContent = `Room ${room}`;
document.title = `Present ${room} · tilecast`;
/** Asked once the socket is welcomed: a missing room or a wrong token would otherwise also log a 404/401. */
let nameAsked = false;
function showRoomName(): void {
  nameAsked = true;
  void fetchRoomName(room, token).then((name) => {
    if (!name) return;
    $('room-name').textContent = name;
    document.title = `Presenting ${name} · tilecast`;
  });
}
ui.viewerLink.value = viewerLink;
wireCopyButton($<HTMLButtonElement>('copy-viewer'), () => viewerLink);

let settings: CaptureSettings = { ...DEFAULT_SETTINGS, ...readSettings(query) };
const worker = new Worker(new URL('./present.capture.worker.js', import.meta.url), { type: 'module' });
const post = (msg: ToWorker) => worker.postMessage(msg);
post({ type: 'settings', settings });
wireSettings(settings, (next) => {
  settings = { ...settings, ...next };
  post({ type: 'settings', settings: next });
});

let pageState: PageState = 'idle';
let source: ScreenSource | null = null;
let lastReport = {
  width: 0,
  height: 0,
  fps: settings.maxFps,
  workMs: 0,
  readMs: 0,
  diffMs: 0,
  lossyTiles: 0,
  skippedTicks: 0,
  framesIn: 0,
  motion: undefined as FrameReport['motion'] | undefined,
};
const frames = new RateMeter();
const bytes = new RateMeter();
const tiles = new RateMeter();
const snapshots = new Map<number, (blob: Blob | null) => void>();

const uplink = new Uplink(room, token ?? '', {
  state: (state, detail) => onLinkState(state, detail),
  welcome: (msg) => {
    if (!nameAsked) showRoomName();
    const limits = {
      maxMessageBytes: msg.limits.maxMessageBytes,
      maxTilesPerFrame: msg.limits.maxTilesPerFrame,
      maxTileBytes: Math.min(msg.limits.maxTileBytes, DEFAULT_SETTINGS.maxTileBytes),
    };
    settings = { ...settings, ...limits };
    post({ type: 'settings', settings: limits });
    // Every new connection starts from a full picture, resumed or not: cheap, and never leaves a viewer stale.
    post({ type: 'keyframe' });
    reportLink();
  },
  motionKey: () => post({ type: 'motionKey' }),
  status: (_state, viewers) => {
    // After Stop the room is over for this page: a late status must not bring back a viewer count.
    if (pageState !== 'ended' && pageState !== 'error') ui.viewers.textContent = String(viewers);
  },
});

function reportLink(ack = false): void {
  post({
    type: 'link',
    connected: uplink.connected,
    buffered: uplink.bufferedAmount,
    clockOffsetMs: uplink.clock.now() - Date.now(),
    ack,
  });
}

worker.addEventListener('message', (e: MessageEvent<FromWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'send': {
      // A frame lost to a closed socket is harmless: every new connection starts with a keyframe.
      let sent = true;
      for (const m of msg.messages) sent = uplink.send(m) && sent;
      if (sent) {
        frames.add();
        tiles.add(msg.report.tiles);
        bytes.add(msg.report.bytes);
      }
      lastReport = msg.report;
      reportLink(true);
      break;
    }
    case 'poll':
      reportLink();
      break;
    case 'snapshot':
      snapshots.get(msg.id)?.(msg.blob);
      snapshots.delete(msg.id);
      break;
    case 'error':
      console.warn('tilecast capture:', msg.message);
      break;
  }
});

trackPointer(
  ui.video,
  () => lastReport.width,
  (m) => uplink.send(m),
);

function setPageState(state: PageState): void {
  pageState = state;
  document.body.dataset.state = state;
  const sharing = state === 'live' || state === 'offline';
  ui.share.disabled = ui.shareBig.disabled = state !== 'idle';
  ui.stop.disabled = !sharing;
  ui.video.hidden = !sharing;
  ui.emptyState.hidden = sharing;
  ui.liveBadge.hidden = state !== 'live';
}

function onLinkState(state: UplinkState, detail: string): void {
  if (state !== 'connected') reportLink();
  if (pageState === 'idle' || pageState === 'ended') return;
  switch (state) {
    case 'connecting':
      setPill(ui.pill, 'connecting', 'Connecting…');
      break;
    case 'connected':
      setPill(ui.pill, 'live', 'Live');
      showBanner(ui.banner, null);
      setPageState('live');
      break;
    case 'offline':
      setPill(ui.pill, 'offline', 'Reconnecting…');
      showBanner(ui.banner, `${detail} Your viewers keep the last picture meanwhile.`, 'warn');
      setPageState('offline');
      break;
    case 'ended':
      finish('The room has ended.');
      break;
    case 'error':
      finish(detail, true);
      break;
  }
}

async function share(): Promise<void> {
  if (!token) {
    showBanner(ui.banner, 'This presenter link is missing its token. Create a room from the lobby to get one.', 'bad');
    return;
  }
  setPageState('starting');
  try {
    source = await startScreenSource(
      ui.video,
      worker,
      settings.maxFps,
      () => stop('You stopped sharing from the browser.'),
      query.get('source') === 'video',
    );
  } catch (err) {
    setPageState('idle');
    const name = (err as Error).name;
    showBanner(
      ui.banner,
      name === 'NotAllowedError'
        ? 'Screen sharing was cancelled.'
        : `Could not share the screen: ${(err as Error).message}`,
      name === 'NotAllowedError' ? 'info' : 'bad',
    );
    return;
  }
  showBanner(ui.banner, null);
  setPageState('live');
  uplink.connect();
}

function stop(reason: string): void {
  uplink.end();
  finish(reason);
}

function finish(reason: string, failed = false): void {
  source?.stop();
  source = null;
  post({ type: 'stop' });
  setPageState(failed ? 'error' : 'ended');
  ui.viewers.textContent = '0';
  setPill(ui.pill, failed ? 'error' : 'ended', failed ? 'Error' : 'Ended');
  ui.share.disabled = ui.shareBig.disabled = true;
  ui.emptyState.querySelector('h2')!.textContent = failed ? 'Sharing stopped' : 'Sharing ended';
  ui.emptyState.querySelector('p')!.textContent = failed
    ? reason
    : `${reason} Viewers now see that the presentation has ended.`;
  ui.shareBig.hidden = true;
  const again = document.createElement('a');
  again.href = '/';
  again.className = 'button primary';
  again.textContent = 'Back to the lobby';
  ui.emptyState.append(again);
  showBanner(ui.banner, failed ? reason : null, 'bad');
}

ui.share.addEventListener('click', () => void share());
ui.shareBig.addEventListener('click', () => void share());
ui.stop.addEventListener('click', () => stop('You stopped sharing.'));

setInterval(() => {
  const f = frames.rate();
  ui.fps.textContent = formatNumber(f, f < 10 ? 1 : 0);
  ui.kbps.textContent = formatNumber((bytes.rate() * 8) / 1000);
  ui.tiles.textContent = f > 0 ? formatNumber(tiles.rate() / f, 1) : '0';
  ui.detail.textContent = source
    ? captureSummary({
        ...lastReport,
        tileSize: settings.tileSize,
        codec: settings.codec,
        sentFps: f,
        maxFps: settings.maxFps,
        pacingFps: lastReport.fps,
      })
    : pageState === 'ended'
      ? 'Sharing ended.'
      : 'Not capturing.';
}, 500);

if (!token)
  showBanner(ui.banner, 'This presenter link is missing its token. Create a room from the lobby to get one.', 'bad');

/** Hooks for the end-to-end tests and for debugging from the console. */
let snapshotId = 0;
Object.assign(window, {
  tilecastPresenter: {
    state: () => pageState,
    stats: () => ({
      ...lastReport,
      pacingFps: lastReport.fps,
      fps: frames.rate(),
      kbps: (bytes.rate() * 8) / 1000,
      frames: frames.total,
      tiles: tiles.total,
      bytes: bytes.total,
      buffered: uplink.bufferedAmount,
    }),
    /** the last captured frame as a PNG data URL: what every viewer converges to */
    lastFrame: () =>
      new Promise<string | null>((resolve) => {
        const id = ++snapshotId;
        snapshots.set(id, (blob) => {
          if (!blob) return resolve(null);
          const reader = new FileReader();
          reader.onload = () => resolve(reader.result as string);
          reader.readAsDataURL(blob);
        });
        post({ type: 'snapshot', id });
      }),
    drop: () => uplink.drop(),
  },
});
setPageState('idle');
