// The resource limits of issue 8 (tiles per room, geometry rate, image queue): defaults, env, flags, bounds.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

describe('resource limit settings', () => {
  it('have documented defaults', () => {
    expect(loadConfig()).toMatchObject({
      maxTilesPerRoom: 8192,
      maxGeometryChangesPerSecond: 30,
      imageJobs: 2,
      imageQueue: 16,
    });
  });

  it('are read from env, and flags win', () => {
    const env = {
      TILECAST_MAX_TILES_PER_ROOM: '100',
      TILECAST_MAX_GEOMETRY_CHANGES_PER_SECOND: '3',
      TILECAST_IMAGE_JOBS: '1',
      TILECAST_IMAGE_QUEUE: '0',
    };
    expect(loadConfig({}, env)).toMatchObject({
      maxTilesPerRoom: 100,
      maxGeometryChangesPerSecond: 3,
      imageJobs: 1,
      imageQueue: 0,
    });
    expect(loadConfig({}, env, ['--max-tiles-per-room', '200', '--image-jobs=4'])).toMatchObject({
      maxTilesPerRoom: 200,
      imageJobs: 4,
    });
  });

  it.each([
    [['--max-tiles-per-room', '0'], /maxTilesPerRoom/],
    [['--max-geometry-changes-per-second', '0'], /maxGeometryChangesPerSecond/],
    [['--image-jobs', '0'], /imageJobs/],
    [['--image-queue', '-1'], /imageQueue/],
  ])('%j is refused', (argv, pattern) => {
    expect(() => loadConfig({}, {}, argv)).toThrow(ConfigError);
    expect(() => loadConfig({}, {}, argv)).toThrow(pattern);
  });
});
