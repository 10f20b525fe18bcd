import { afterEach, describe, expect, it, vi } from 'vitest';

import { isTestkitError } from './errors.js';
import { findBinary } from './find-binary.js';

describe('findBinary', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('prefers the environment variable', () => {
    vi.stubEnv('REDIS_SERVER_BIN', process.execPath);
    expect(findBinary('redis-server')).toBe(process.execPath);
  });

  it('rejects an environment variable that names no executable', () => {
    vi.stubEnv('ENVOY_BIN', '/nonexistent/envoy');
    expect(() => findBinary('envoy')).toThrow(
      /ENVOY_BIN=\/nonexistent\/envoy is not an executable/,
    );
  });

  it('names the variable and the bootstrap script when nothing is found', () => {
    vi.stubEnv('REDIS_SERVER_BIN', '');
    vi.stubEnv('PATH', '/nonexistent');
    let caught: unknown;
    try {
      findBinary('redis-server');
    } catch (err) {
      caught = err;
    }
    expect(isTestkitError(caught) && caught.code).toBe('binary-not-found');
    expect(String(caught)).toMatch(/set REDIS_SERVER_BIN .*bash scripts\/bootstrap\.sh/);
  });
});
