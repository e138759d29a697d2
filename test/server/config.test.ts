import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, ConfigSchema, envName, loadConfig } from '../../server/config';

const run = promisify(execFile);

describe('config', () => {
  it('has sane defaults and generates a secret', () => {
    const c = loadConfig();
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', engine: 'uws', graceSeconds: 30 });
    expect(c.secret.length).toBeGreaterThanOrEqual(32);
    // measured in the bench: fewer full GCs at 50 rooms x 20 viewers, memory stress RSS unchanged (README)
    expect(c.heapGrowthPercent).toBe(100);
  });

  it('reads env, then flags over env', () => {
    const c = loadConfig({}, { PORT: '9000', TILECAST_ENGINE: 'ws' }, ['--port', '9001', '--grace-seconds=5']);
    expect(c.port).toBe(9001);
    expect(c.engine).toBe('ws');
    expect(c.graceSeconds).toBe(5);
  });

  it('reaches every setting through its TILECAST_ env variable as through its flag', () => {
    // A value no setting of a number, enum or boolean type accepts: the error names the setting, so it was read;
    // settings that take any text must come back with it.
    const probe = 'zz-probe';
    for (const key of Object.keys(ConfigSchema.shape)) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      for (const [env, argv] of [
        [{ [envName(key)]: probe }, []],
        [{}, [flag, probe]],
      ] as const) {
        let read: unknown;
        try {
          read = (loadConfig({}, env, argv) as Record<string, unknown>)[key];
        } catch (err) {
          read = (err as Error).message;
        }
        expect(String(read), `${envName(key)} / ${flag}`).toMatch(new RegExp(`${key}|${probe}`));
      }
    }
    expect(envName('graceSeconds')).toBe('TILECAST_GRACE_SECONDS');
    expect(loadConfig({}, { TILECAST_FANOUT_BUDGET: '123' }).fanoutBudget).toBe(123);
  });

  it.each([
    [['--port', '70000'], /^invalid configuration: port: .*70000/],
    [['--engine', 'nginx'], /^invalid configuration: engine: .*nginx/],
    [['--heap-growth-percent', '5000'], /^invalid configuration: heapGrowthPercent: .*5000/],
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
    expect(
      err.stderr
        .trim()
        .split('\n')
        .filter((l: string) => !l.startsWith('npm warn')),
    ).toEqual(['tilecast: invalid configuration: port: Expected number, received nan (got "abc")']);
  });
});

describe('README configuration tables', () => {
  it('list every setting with its flag and its TILECAST_ env variable', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `--'));
    for (const key of Object.keys(ConfigSchema.shape)) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const row = rows.find((r) => new RegExp(`\`${flag}[\` ]`).test(r.split('|')[1]));
      expect(row, `README has no row for ${flag}`).toBeDefined();
      const env = key === 'redis' ? 'TILECAST_REDIS_URL' : envName(key);
      expect(row!.split('|')[2], `${flag}'s row names ${env}`).toContain(env);
    }
  });
});
