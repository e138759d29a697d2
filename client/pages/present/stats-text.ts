// The presenter's one-line capture summary. It reports frames actually sent, not the pacer's target: a target of
// 30 fps says nothing when encoding only lets 4 fps out.
import { formatNumber } from '../../lib/dom';

export interface CaptureSummary {
  width: number;
  height: number;
  tileSize: number;
  codec: string;
  /** frames sent per second, measured */
  sentFps: number;
  /** the settings' cap */
  maxFps: number;
  /** the pacer's current target (below the cap while the socket is backed up) */
  pacingFps: number;
  /** diff + encode time of the last frame */
  workMs: number;
  skippedTicks: number;
  /** the motion layer's region and scale while it is active (see motion-layer.ts) */
  motion?: { state: string; region: string | null; scale: number };
}

export function captureSummary(s: CaptureSummary): string {
  const sent = formatNumber(s.sentFps, s.sentFps < 10 ? 1 : 0);
  const parts = [`${s.width}×${s.height}`, `${s.tileSize} px tiles`, s.codec, `sending ${sent} fps (max ${s.maxFps})`];
  // Only worth saying when the link, not the encoder or a still screen, is what holds the rate down.
  if (Math.round(s.pacingFps) < s.maxFps) parts.push(`link allows ${Math.round(s.pacingFps)} fps`);
  parts.push(`encode ${Math.round(s.workMs)} ms`);
  if (s.motion?.state === 'active' && s.motion.region) {
    const scale = s.motion.scale < 1 ? ` at ${Math.round(s.motion.scale * 100)} %` : '';
    parts.push(`video region ${s.motion.region} tiles${scale}`);
  }
  if (s.skippedTicks) parts.push(`${s.skippedTicks} ticks skipped (slow link)`);
  return parts.join(' · ');
}
