import { describe, expect, it } from 'vitest';
import { isConfigError } from '@aigw/service-kit';
import { loadConfig } from './config.js';

const required = ['--config', '/etc/aigw/filter-config.yaml'];

describe('extproc config', () => {
  it('serves under upstream default prefixes without flags', () => {
    expect(loadConfig(required, {})).toMatchObject({
      address: 'unix:/tmp/aigw-extproc.sock',
      configPollMs: 250,
      rootPrefix: '/',
      endpointPrefixes: { openai: '/', cohere: '/cohere', anthropic: '/anthropic' },
    });
  });

  it('has no admin server and the default service-account directory without flags', () => {
    const config = loadConfig(required, {});
    expect(config.adminPort).toBeUndefined();
    expect(config.adminHost).toBe('0.0.0.0');
    expect(config.serviceAccountDir).toBeUndefined();
  });

  it('reads the admin port and host and the service-account directory, flags winning over env', () => {
    const config = loadConfig([...required, '--admin-port', '1064'], {
      AIGW_EXTPROC_ADMIN_PORT: '9000',
      AIGW_EXTPROC_ADMIN_HOST: '127.0.0.1',
      AIGW_SERVICE_ACCOUNT_DIR: '/tmp/sa',
    });
    expect(config).toMatchObject({
      adminPort: 1064,
      adminHost: '127.0.0.1',
      serviceAccountDir: '/tmp/sa',
    });
    expect(loadConfig([...required, '--admin-port=0'], {}).adminPort).toBe(0);
    expect(
      loadConfig([...required, '--service-account-dir', '/opt/sa'], {
        AIGW_SERVICE_ACCOUNT_DIR: '/tmp/sa',
      }).serviceAccountDir,
    ).toBe('/opt/sa');
  });

  it('reads --root-prefix and --endpoint-prefixes, flags winning over env', () => {
    const config = loadConfig([...required, '--root-prefix', '/ai/'], {
      AIGW_EXTPROC_ROOT_PREFIX: '/env',
      AIGW_EXTPROC_ENDPOINT_PREFIXES: 'anthropic:/claude',
    });
    expect(config.rootPrefix).toBe('/ai');
    expect(config.endpointPrefixes).toEqual({
      openai: '/',
      cohere: '/cohere',
      anthropic: '/claude',
    });
  });

  it.each([
    [
      ['--root-prefix', 'ai'],
      '--root-prefix (AIGW_EXTPROC_ROOT_PREFIX): invalid root prefix "ai": expected a path ' +
        'starting with "/" without "?", "#", spaces or control characters, e.g. /ai',
    ],
    [
      ['--endpoint-prefixes', 'openai:/,gemini:/g'],
      '--endpoint-prefixes (AIGW_EXTPROC_ENDPOINT_PREFIXES): unknown key "gemini" at position 2 ' +
        '(allowed: openai, cohere, anthropic)',
    ],
    [
      ['--endpoint-prefixes', 'anthropic'],
      '--endpoint-prefixes (AIGW_EXTPROC_ENDPOINT_PREFIXES): invalid pair at position 1: ' +
        '"anthropic" (expected key:value)',
    ],
    [
      ['--admin-port', '70000'],
      '--admin-port (AIGW_EXTPROC_ADMIN_PORT): expected a port number from 0 to 65535, got 70000',
    ],
  ])('refuses %j with one line', (argv, message) => {
    let caught: unknown;
    try {
      loadConfig([...required, ...argv], {});
    } catch (err) {
      caught = err;
    }
    expect(isConfigError(caught)).toBe(true);
    expect((caught as Error).message).toBe(message);
  });
});
