// getDisplayMedia plus the path frames take to the capture worker: a MediaStreamTrackProcessor stream when the
// browser has one (it keeps delivering while this tab is hidden), else requestVideoFrameCallback on a <video>.
import type { ToWorker } from './capture-protocol';

declare class MediaStreamTrackProcessor {
  constructor(init: { track: MediaStreamTrack; maxBufferSize?: number });
  readonly readable: ReadableStream<VideoFrame>;
}

export interface ScreenSource {
  stream: MediaStream;
  track: MediaStreamTrack;
  /** 'browser' (a tab), 'window' or 'monitor' */
  surface: string;
  stop(): void;
}

export async function startScreenSource(
  preview: HTMLVideoElement,
  worker: Worker,
  maxFps: number,
  onEnded: () => void,
  /** use the <video> fallback even where MediaStreamTrackProcessor exists (tests) */
  forceVideoPump = false,
): Promise<ScreenSource> {
  const stream = await navigator.mediaDevices.getDisplayMedia({
    // Without a size, Chromium captures a tab at the screen's default size (800 px wide in headless), scaling the
    // picture down: ask for up to 4K and let the capture worker's maxWidth decide.
    video: { frameRate: { ideal: maxFps, max: maxFps }, width: { max: 3840 }, height: { max: 2160 } },
    audio: false,
    // Sharing the presenter tab itself only shows a mirror of the mirror; switching surfaces mid-share is fine
    // (a new size simply becomes a new geometry).
    selfBrowserSurface: 'exclude',
    surfaceSwitching: 'include',
  } as DisplayMediaStreamOptions);
  const track = stream.getVideoTracks()[0];
  // The browser's own "Stop sharing" button ends the track.
  track.addEventListener('ended', onEnded, { once: true });
  preview.srcObject = stream;
  // Not awaited: play() of a hidden element in a background tab may stay pending, and the preview is cosmetic.
  preview.play().catch(() => {});

  let stopPump = () => {};
  if (typeof MediaStreamTrackProcessor === 'function' && !forceVideoPump) {
    const { readable } = new MediaStreamTrackProcessor({ track, maxBufferSize: 2 });
    worker.postMessage({ type: 'source', readable } satisfies ToWorker, [readable as unknown as Transferable]);
  } else {
    stopPump = pumpVideoFrames(preview, worker, maxFps);
  }
  return {
    stream,
    track,
    surface: String((track.getSettings() as { displaySurface?: string }).displaySurface ?? 'monitor'),
    stop() {
      stopPump();
      track.removeEventListener('ended', onEnded);
      for (const t of stream.getTracks()) t.stop();
      preview.srcObject = null;
    },
  };
}

/** Fallback: one bitmap per new video frame (requestVideoFrameCallback), or per tick where that is missing. */
function pumpVideoFrames(video: HTMLVideoElement, worker: Worker, maxFps: number): () => void {
  let running = true;
  const grab = async () => {
    if (!running || video.videoWidth === 0) return;
    const bitmap = await createImageBitmap(video);
    worker.postMessage({ type: 'bitmap', bitmap } satisfies ToWorker, [bitmap]);
  };
  if (!('requestVideoFrameCallback' in video)) {
    const timer = setInterval(() => void grab(), 1000 / maxFps);
    return () => clearInterval(timer);
  }
  const onFrame = async () => {
    await grab().catch(() => {});
    if (running) video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
  return () => (running = false);
}
