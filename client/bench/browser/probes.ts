// Scripts injected into the bench's pages, as plain source text (tsx's transform would add helpers that do not
// exist in the page). The viewer probe reads the content's frame id back from the viewer canvas on every
// animation frame (when it changes, that frame is on glass); the presenter probe records main-thread long tasks.

/** In the viewer page: window.__probe.seen = [[frameId, epochMs], ...]. */
export const VIEWER_PROBE = `(() => {
  const probe = { seen: [] };
  window.__probe = probe;
  let last = -1;
  const read = () => {
    const canvas = document.getElementById('screen');
    if (canvas && canvas.width >= 96 && canvas.height >= 24) {
      const px = canvas.getContext('2d').getImageData(0, 0, 96, 24).data;
      let id = 0;
      for (let b = 0; b < 16; b++) {
        const x = (b % 8) * 12 + 6, y = Math.floor(b / 8) * 12 + 6;
        if (px[(y * 96 + x) * 4] < 128) id |= 1 << b;
      }
      if (id !== last) { last = id; probe.seen.push([id, performance.timeOrigin + performance.now()]); }
    }
    requestAnimationFrame(read);
  };
  requestAnimationFrame(read);
})();`;

/** In the presenter page: window.__longTasks = [durationMs, ...]; window.__burn(ms) busies the main thread. */
export const PRESENTER_PROBE = `(() => {
  const tasks = [];
  window.__longTasks = tasks;
  window.__burn = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  } catch {}
})();`;
