// The presenter's quality settings: from the URL (?tile=32&codec=png&quality=0.9&fps=15) and the side panel.
import { $ } from '../../lib/dom';
import type { CaptureSettings } from './capture-protocol';

export function readSettings(query: URLSearchParams): Partial<CaptureSettings> {
  const out: Partial<CaptureSettings> = {};
  const tile = Number(query.get('tile'));
  if (Number.isInteger(tile) && tile >= 16 && tile <= 1024) out.tileSize = tile;
  const codec = query.get('codec');
  if (codec === 'webp' || codec === 'png' || codec === 'auto') out.codec = codec;
  const quality = Number(query.get('quality'));
  if (quality > 0 && quality <= 1) out.quality = quality;
  const fps = Number(query.get('fps'));
  if (fps >= 1 && fps <= 60) out.maxFps = fps;
  const maxWidth = Number(query.get('maxWidth'));
  if (Number.isInteger(maxWidth) && maxWidth >= 64 && maxWidth <= 8192) out.maxWidth = maxWidth;
  // ?motion=off sends every region as still tiles (to compare, or where video compression is unwanted)
  if (query.get('motion') === 'off') out.motion = false;
  return out;
}

export function wireSettings(initial: CaptureSettings, change: (next: Partial<CaptureSettings>) => void): void {
  const tileSize = $<HTMLSelectElement>('tile-size');
  const codec = $<HTMLSelectElement>('codec');
  const quality = $<HTMLInputElement>('quality');
  const qualityOut = $<HTMLOutputElement>('quality-out');
  const maxFps = $<HTMLInputElement>('max-fps');
  const maxFpsOut = $<HTMLOutputElement>('max-fps-out');

  if (![...tileSize.options].some((o) => o.value === String(initial.tileSize)))
    tileSize.add(new Option(`${initial.tileSize} px`, String(initial.tileSize)));
  tileSize.value = String(initial.tileSize);
  codec.value = initial.codec;
  quality.value = String(initial.quality);
  maxFps.value = String(initial.maxFps);
  const show = () => {
    qualityOut.value = Number(quality.value).toFixed(2);
    maxFpsOut.value = maxFps.value;
    quality.disabled = codec.value === 'png';
  };
  show();

  tileSize.addEventListener('change', () => change({ tileSize: Number(tileSize.value) }));
  codec.addEventListener('change', () => {
    show();
    change({ codec: codec.value as CaptureSettings['codec'] });
  });
  quality.addEventListener('input', show);
  quality.addEventListener('change', () => change({ quality: Number(quality.value) }));
  maxFps.addEventListener('input', show);
  maxFps.addEventListener('change', () => change({ maxFps: Number(maxFps.value) }));
}
