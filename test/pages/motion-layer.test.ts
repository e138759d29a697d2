// The presenter's motion layer where WebCodecs is missing (Node has no VideoEncoder, as some browsers): every
// changed tile goes as a still tile, no chunk is made, and the report says why.
import { describe, expect, it } from 'vitest';
import { MotionLayer } from '../../client/pages/present/motion-layer';

describe('MotionLayer without VideoEncoder', () => {
  it('falls back to still tiles for a region that changes every frame', async () => {
    expect(typeof (globalThis as { VideoEncoder?: unknown }).VideoEncoder).toBe('undefined');
    const layer = new MotionLayer();
    const g = { width: 256, height: 128, tileSize: 64 }; // 4 x 2
    const all = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let frame = 0; frame < 5; frame++) {
      const plan = layer.plan(g, new Uint32Array(256 * 128), all, false, frame * 33);
      expect(plan.stills).toEqual(all);
      expect(await plan.motion).toBeNull();
      expect(plan.ifNoMotion).toEqual([]);
    }
    expect(layer.active).toBe(false);
    expect(layer.report()).toMatchObject({ state: 'unsupported', region: null, frames: 0 });
  });
});
