import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('ratelimit config', () => {
  it('has defaults that need no flags', () => {
    expect(loadConfig([], {})).toMatchObject({
      address: ':8081',
      store: 'memory',
      failMode: 'open',
      shadowMode: false,
      nearLimitRatio: 0.8,
      localCacheSize: 10_000,
      configPollMs: 500,
      mergeDomainConfig: false,
    });
  });

  it.each([
    { argv: ['--merge-domain-config'], env: {}, merge: true },
    { argv: [], env: { AIGW_RATELIMIT_MERGE_DOMAIN_CONFIG: 'true' }, merge: true },
    { argv: [], env: { AIGW_RATELIMIT_MERGE_DOMAIN_CONFIG: 'false' }, merge: false },
  ])('reads merge-domain-config from $argv $env', ({ argv, env, merge }) => {
    expect(loadConfig(argv, env).mergeDomainConfig).toBe(merge);
  });

  it('reads flags and env, flags winning', () => {
    const config = loadConfig(
      ['--store', 'redis', '--redis-url', 'redis://h:1', '--shadow-mode', '--fail-mode', 'closed'],
      {
        AIGW_RATELIMIT_QUOTA_MODE: 'true',
        AIGW_RATELIMIT_FAIL_MODE: 'open',
        AIGW_RATELIMIT_CONFIG_DIR: '/etc/rl',
      },
    );
    expect(config).toMatchObject({
      store: 'redis',
      redisUrl: 'redis://h:1',
      shadowMode: true,
      quotaMode: true,
      failMode: 'closed',
      configDir: '/etc/rl',
    });
  });

  it.each([
    [['--store', 'redis'], /--redis-url/],
    [['--fail-mode', 'maybe'], /--fail-mode/],
    [['--near-limit-ratio', '2'], /--near-limit-ratio/],
  ])('rejects %j', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });
});
