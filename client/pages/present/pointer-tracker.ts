// The presenter's pointer over the preview, mapped to screen pixels of the shared picture and sent as Cursor
// messages (at most one per animation frame; hidden after a pause or when the pointer leaves).
import { encodeCursor } from '../../../shared/protocol/encode';

/** `sentWidth` is the width of the frames actually sent (they may be scaled down from the video). */
export function trackPointer(video: HTMLVideoElement, sentWidth: () => number, send: (msg: Uint8Array) => void): void {
  let next: Uint8Array | null = null;
  let hideTimer: ReturnType<typeof setTimeout> | null = null;
  const flush = () => {
    if (next) send(next);
    next = null;
  };
  const queue = (msg: Uint8Array) => {
    if (!next) requestAnimationFrame(flush);
    next = msg;
  };
  video.addEventListener('pointermove', (e) => {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return;
    // object-fit: contain letterboxes the picture inside the element.
    const box = video.getBoundingClientRect();
    const scale = Math.min(box.width / w, box.height / h);
    const x = (e.clientX - box.left - (box.width - w * scale) / 2) / scale;
    const y = (e.clientY - box.top - (box.height - h * scale) / 2) / scale;
    const inside = x >= 0 && y >= 0 && x < w && y < h;
    const k = (sentWidth() || w) / w;
    queue(encodeCursor(x * k, y * k, inside));
    if (hideTimer) clearTimeout(hideTimer);
    hideTimer = setTimeout(() => queue(encodeCursor(0, 0, false)), 3000);
  });
  video.addEventListener('pointerleave', () => queue(encodeCursor(0, 0, false)));
}
