// The V8 flags the server runs with: `npm start` passes the ones the bench and the tests start it with, and this
// Node honours them (a renamed or ignored flag would silently give back V8's default young generation).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS, bundlePath, SERVER_ENTRY } from '../../server/build';

const NEW_SPACE_MB = `
  const v8 = require('node:v8');
  let keep = [];
  for (let i = 0; i < 4e6; i++) { keep.push({ i, a: [i] }); if (keep.length > 3e5) keep = []; }
  const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
  process.stdout.write(String(s.space_size / 2 ** 20));
`;

describe('server node flags', () => {
  it('npm start runs the bundle with every flag the bench and the tests use', () => {
    const start: string = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start;
    const bundle = bundlePath(SERVER_ENTRY).split('/dist/')[1];
    expect(start).toBe(`node ${SERVER_NODE_FLAGS.join(' ')} dist/${bundle}`);
  });

  it('the semi-space cap holds under allocation: the new space stays at half of what V8 grows it to by default', () => {
    const capped = Number(
      execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', NEW_SPACE_MB], { encoding: 'utf8' }),
    );
    const uncapped = Number(execFileSync(process.execPath, ['-e', NEW_SPACE_MB], { encoding: 'utf8' }));
    expect(capped).toBeLessThanOrEqual(16);
    expect(uncapped).toBeGreaterThan(capped);
  });
});
