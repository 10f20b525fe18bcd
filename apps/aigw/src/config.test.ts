import { describe, expect, it } from 'vitest';
import { loadRunConfig, loadTranslateConfig } from './config.js';

describe('aigw run endpoint prefixes', () => {
  it('defaults to upstream prefixes', () => {
    expect(loadRunConfig([], {}).config).toMatchObject({
      rootPrefix: '/',
      endpointPrefixes: { openai: '/', cohere: '/cohere', anthropic: '/anthropic' },
    });
  });

  it('reads --root-prefix and AIGW_ENDPOINT_PREFIXES', () => {
    const { config } = loadRunConfig(['--root-prefix', '/ai/'], {
      AIGW_ENDPOINT_PREFIXES: 'anthropic:/claude',
    });
    expect(config.rootPrefix).toBe('/ai');
    expect(config.endpointPrefixes.anthropic).toBe('/claude');
  });

  it.each([
    [['--root-prefix', 'ai'], /^--root-prefix \(AIGW_ROOT_PREFIX\): invalid root prefix "ai"/],
    [
      ['--endpoint-prefixes', 'gemini:/g'],
      /^--endpoint-prefixes \(AIGW_ENDPOINT_PREFIXES\): unknown key "gemini" at position 1/,
    ],
  ])('refuses %j in one line', (argv, message) => {
    expect(() => loadRunConfig(argv, {})).toThrow(message);
  });

  it('gives aigw translate the root prefix', () => {
    expect(loadTranslateConfig(['--root-prefix', '/ai', 'a.yaml'], {})).toEqual({
      config: { rootPrefix: '/ai', help: false },
      positionals: ['a.yaml'],
    });
  });
});
