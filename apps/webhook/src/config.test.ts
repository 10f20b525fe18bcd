import { describe, expect, it } from 'vitest';
import { isConfigError } from '@aigw/service-kit';
import { loadConfig } from './config.js';

describe('webhook config', () => {
  it('has upstream-compatible defaults', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      port: 9443,
      selfSigned: false,
      sidecarMode: 'auto',
      extprocSocketPath: '/etc/ai-gateway-extproc-uds/run.sock',
      extprocEnv: [],
      extprocAdminPort: 1064,
    });
    expect(loadConfig(['--extproc-admin-port=9064'], {}).extprocAdminPort).toBe(9064);
  });

  it('reads --extproc-env as NAME=value pairs separated by ;', () => {
    const config = loadConfig(['--extproc-env=A=1,2; B=x=y;'], {});
    expect(config.extprocEnv).toEqual([
      { name: 'A', value: '1,2' },
      { name: 'B', value: 'x=y' },
    ]);
  });

  it.each([
    [['--extproc-env=novalue'], /expected NAME=value/],
    [['--sidecar-mode=sometimes'], /--sidecar-mode/],
    [['--extproc-socket-path=run.sock'], /absolute path/],
    [
      ['--extproc-admin-port=0'],
      /--extproc-admin-port \(AIGW_EXTPROC_ADMIN_PORT\): expected a port/,
    ],
  ])('refuses %j', (argv, message) => {
    let caught: unknown;
    try {
      loadConfig(argv, {});
    } catch (err) {
      caught = err;
    }
    expect(isConfigError(caught)).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });

  it('takes --self-signed as a switch and POD_NAMESPACE from the environment', () => {
    const config = loadConfig(['--self-signed'], { POD_NAMESPACE: 'aigw-system' });
    expect(config.selfSigned).toBe(true);
    expect(config.podNamespace).toBe('aigw-system');
  });
});
