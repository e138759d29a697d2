import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

const run = promisify(execFile);

describe('config', () => {
  it('has sane defaults and generates a secret', () => {
    const c = loadConfig();
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', engine: 'uws', graceSeconds: 30 });
    expect(c.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('reads env, then flags over env', () => {
    const c = loadConfig({}, { PORT: '9000', TILECAST_ENGINE: 'ws' }, ['--port', '9001', '--grace-seconds=5']);
    expect(c.port).toBe(9001);
    expect(c.engine).toBe('ws');
    expect(c.graceSeconds).toBe(5);
  });

  it('a later flag wins: main.ts and startServer put their --build-client default first, so the user flag decides', () => {
    expect(loadConfig({}, {}, ['--build-client', 'true', '--build-client', 'false']).buildClient).toBe(false);
    expect(loadConfig({}, {}, ['--build-client', 'false', '--port', '1']).buildClient).toBe(false);
    expect(loadConfig({}, {}, ['--build-client', 'false', '--build-client', 'true']).buildClient).toBe(true);
  });

  it.each([
    [['--port', '70000'], /^invalid configuration: port: .*70000/],
    [['--engine', 'nginx'], /^invalid configuration: engine: .*nginx/],
    [['--secret', 'short'], /^invalid configuration: secret: must be at least 32 bytes$/],
    [['--bogus', '1'], /^invalid configuration: unknown setting\(s\): bogus$/],
    [['positional'], /^unexpected argument "positional"/],
  ])('%j is refused with one line naming the setting', (argv, pattern) => {
    expect(() => loadConfig({}, {}, argv)).toThrow(ConfigError);
    expect(() => loadConfig({}, {}, argv)).toThrow(pattern);
  });

  it('the CLI stops with that line and exit code 2', async () => {
    const err = await run('npx', ['tsx', 'server/main.ts', '--port', 'abc'], { cwd: process.cwd() }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr.trim().split('\n').filter((l: string) => !l.startsWith('npm warn'))).toEqual([
      'tilecast: invalid configuration: port: Expected number, received nan (got "abc")',
    ]);
  });
});
