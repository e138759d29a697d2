// Draws a desktop-like screen into raw RGB pixels: window chrome, a scrolling document of "text", an editor line
// being typed, and a video region. Drawn in JS (no fonts needed); encoding happens later, ahead of the run.

export interface SceneState {
  /** document scroll offset in pixels */
  scroll: number;
  /** characters typed into the editor line */
  typed: number;
  /** video frame number, or -1 when the video is paused */
  video: number;
}

export interface Canvas {
  width: number;
  height: number;
  rgb: Uint8Array;
}

function fill(c: Canvas, x: number, y: number, w: number, h: number, r: number, g: number, b: number): void {
  const x0 = Math.max(0, x);
  const y0 = Math.max(0, y);
  const x1 = Math.min(c.width, x + w);
  const y1 = Math.min(c.height, y + h);
  for (let yy = y0; yy < y1; yy++) {
    let p = (yy * c.width + x0) * 3;
    for (let xx = x0; xx < x1; xx++) {
      c.rgb[p++] = r;
      c.rgb[p++] = g;
      c.rgb[p++] = b;
    }
  }
}

/** Deterministic pseudo-random numbers, so every run (and the cache) sees the same screen. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** "Words" on a text line: dark strokes of glyph height with gaps, with thin vertical glyph structure. */
function textLine(c: Canvas, x: number, y: number, maxW: number, seed: number, clipY0: number, clipY1: number): void {
  const rand = rng(seed);
  let cx = x;
  while (cx < x + maxW) {
    const word = 12 + Math.floor(rand() * 60);
    const w = Math.min(word, x + maxW - cx);
    for (let gx = 0; gx < w; gx += 3 + Math.floor(rand() * 3)) {
      const gh = 6 + Math.floor(rand() * 6);
      const gy = y + 11 - gh;
      const y0 = Math.max(gy, clipY0);
      const y1 = Math.min(gy + gh, clipY1);
      if (y1 > y0) fill(c, cx + gx, y0, 2, y1 - y0, 40, 40, 48);
    }
    cx += word + 7;
  }
}

export function drawScene(c: Canvas, s: SceneState): void {
  const { width: W, height: H } = c;
  fill(c, 0, 0, W, H, 58, 96, 140); // wallpaper
  fill(c, 0, H - 32, W, 32, 30, 30, 36); // taskbar
  for (let i = 0; i < 8; i++) fill(c, 10 + i * 44, H - 26, 32, 20, 90 + i * 15, 120, 160);
  // document window
  const dx = 16;
  const dy = 16;
  const dw = Math.floor(W * 0.62);
  const dh = H - 64;
  fill(c, dx, dy, dw, 28, 220, 222, 228); // title bar
  fill(c, dx + dw - 70, dy + 8, 12, 12, 230, 90, 80);
  fill(c, dx, dy + 28, dw, dh - 28, 252, 252, 250); // page
  const top = dy + 28;
  const bottom = dy + dh;
  const lineH = 20;
  const first = Math.floor(s.scroll / lineH);
  for (let line = first; ; line++) {
    const y = top + 8 + line * lineH - s.scroll;
    if (y >= bottom) break;
    if (y + lineH < top) continue;
    if (line % 17 === 0) {
      // heading
      const y0 = Math.max(y, top);
      const y1 = Math.min(y + 14, bottom);
      if (y1 > y0) fill(c, dx + 24, y0, 180 + (line % 5) * 40, y1 - y0, 30, 60, 120);
    } else if (line % 23 === 11) {
      // a figure in the document
      const y0 = Math.max(y, top);
      const y1 = Math.min(y + lineH * 2, bottom);
      if (y1 > y0) fill(c, dx + 40, y0, dw - 80, y1 - y0, 120 + (line % 7) * 15, 170, 110);
    } else {
      textLine(c, dx + 24, y, dw - 48 - (line % 4) * 30, line * 7919, top, bottom);
    }
  }
  // editor window with a line being typed
  const ex = dx + dw + 16;
  const ew = W - ex - 16;
  fill(c, ex, dy, ew, 28, 220, 222, 228);
  fill(c, ex, dy + 28, ew, 200, 32, 34, 40);
  for (let l = 0; l < 8; l++) {
    const rand = rng(1000 + l);
    const len = l === 7 ? Math.min(s.typed * 7, ew - 40) : 40 + Math.floor(rand() * (ew - 80));
    for (let x = 0; x < len; x += 7) fill(c, ex + 12 + x, dy + 40 + l * 22, 5, 10, 150 + ((l * 13) % 100), 200, 160);
  }
  fill(c, ex + 12 + Math.min(s.typed * 7, ew - 40), dy + 38 + 7 * 22, 2, 14, 255, 255, 255); // caret
  // video player
  const vx = ex;
  const vy = dy + 250;
  const vw = ew;
  const vh = Math.min(Math.floor((ew * 9) / 16), H - vy - 48);
  fill(c, vx, vy, vw, vh, 0, 0, 0);
  if (s.video >= 0) {
    const rand = rng(s.video * 104729 + 7);
    const t = s.video;
    for (let y = 0; y < vh; y++) {
      let p = ((vy + y) * W + vx) * 3;
      for (let x = 0; x < vw; x++) {
        const n = rand() * 40;
        c.rgb[p++] = (128 + 100 * Math.sin((x + t * 9) / 23) + n) & 255;
        c.rgb[p++] = (128 + 100 * Math.sin((y - t * 5) / 17) + n) & 255;
        c.rgb[p++] = (128 + 90 * Math.sin((x + y + t * 13) / 31) + n) & 255;
      }
    }
  }
}
