// The hardening settings: defaults, flags, env vars, and refusals of values the engines cannot honour.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

describe('hardening settings', () => {
  it('have safe defaults', () => {
    const c = loadConfig();
    expect(c).toMatchObject({
      maxControlBytes: 4096,
      controlRatePerSecond: 100,
      controlBurst: 200,
      idleTimeoutSeconds: 120,
      headersTimeoutSeconds: 10,
      maxHeaderBytes: 16 * 1024,
      shutdownDrainSeconds: 10,
    });
  });

  it('come from flags and from TILECAST_ env vars, flags winning', () => {
    const env = {
      TILECAST_MAX_CONTROL_BYTES: '2048',
      TILECAST_CONTROL_RATE_PER_SECOND: '50',
      TILECAST_CONTROL_BURST: '60',
      TILECAST_IDLE_TIMEOUT_SECONDS: '30',
      TILECAST_HEADERS_TIMEOUT_SECONDS: '5',
      TILECAST_MAX_HEADER_BYTES: '8192',
      TILECAST_SHUTDOWN_DRAIN_SECONDS: '3',
    };
    expect(loadConfig({}, env)).toMatchObject({
      maxControlBytes: 2048,
      controlRatePerSecond: 50,
      controlBurst: 60,
      idleTimeoutSeconds: 30,
      headersTimeoutSeconds: 5,
      maxHeaderBytes: 8192,
      shutdownDrainSeconds: 3,
    });
    expect(loadConfig({}, env, ['--shutdown-drain-seconds', '0.5', '--idle-timeout-seconds=16'])).toMatchObject({
      shutdownDrainSeconds: 0.5,
      idleTimeoutSeconds: 16,
    });
  });

  it.each([
    [['--idle-timeout-seconds', '4'], /idleTimeoutSeconds/], // uWS needs at least 8
    [['--headers-timeout-seconds', '30'], /headersTimeoutSeconds/], // the issue asks for <= 10 s
    [['--max-control-bytes', '100'], /maxControlBytes/],
    [['--control-rate-per-second', '0'], /controlRatePerSecond/],
    [['--shutdown-drain-seconds', '-1'], /shutdownDrainSeconds/],
  ])('%j is refused with one line naming the setting', (argv, name) => {
    expect(() => loadConfig({}, {}, argv)).toThrow(ConfigError);
    expect(() => loadConfig({}, {}, argv)).toThrow(name);
  });
});
