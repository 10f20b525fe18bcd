import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isKubeConfigError } from './errors.js';
import { KubeConfig } from './kube-config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kube-token-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const bearer = async (config: KubeConfig): Promise<string | undefined> =>
  (await config.requestOptions()).headers['authorization'];

describe('KubeConfig', () => {
  it('reads a token file again once the minute is up (bound tokens rotate)', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'first\n');
    let now = 1_000_000;
    const config = new KubeConfig(
      { server: 'https://kube:443', auth: { kind: 'token-file', path } },
      { now: () => now },
    );
    expect(await bearer(config)).toBe('Bearer first');
    writeFileSync(path, 'second\n');
    now += 59_999;
    expect(await bearer(config)).toBe('Bearer first');
    now += 1;
    expect(await bearer(config)).toBe('Bearer second');
  });

  it('honours tokenFileTtlMs 0: every request reads the file', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'a');
    const config = new KubeConfig(
      { server: 'https://kube:443', auth: { kind: 'token-file', path } },
      { tokenFileTtlMs: 0 },
    );
    expect(await bearer(config)).toBe('Bearer a');
    writeFileSync(path, 'b');
    expect(await bearer(config)).toBe('Bearer b');
  });

  it('keeps the last token when a re-read fails, as client-go does', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, 'kept');
    let now = 0;
    const config = new KubeConfig(
      { server: 'https://kube:443', auth: { kind: 'token-file', path } },
      { now: () => now },
    );
    expect(await bearer(config)).toBe('Bearer kept');
    unlinkSync(path);
    now += 120_000;
    expect(await bearer(config)).toBe('Bearer kept');
    writeFileSync(path, 'back');
    expect(await bearer(config)).toBe('Bearer back');
  });

  it('fails with unreadable, naming the file, when a token file was never readable', async () => {
    const path = join(dir, 'missing');
    const config = new KubeConfig({
      server: 'https://kube:443',
      auth: { kind: 'token-file', path },
      source: 'kubeconfig /x',
      authField: 'users["u"].user',
    });
    const err: unknown = await config.requestOptions().catch((e: unknown) => e);
    expect(isKubeConfigError(err) && err.code).toBe('unreadable');
    expect(isKubeConfigError(err) && err.file).toBe(path);
    expect(String(err)).toContain('users["u"].user');
  });

  it('rejects an empty token file', async () => {
    const path = join(dir, 'token');
    writeFileSync(path, '\n');
    const config = new KubeConfig({ server: 'https://kube', auth: { kind: 'token-file', path } });
    const err: unknown = await config.requestOptions().catch((e: unknown) => e);
    expect(isKubeConfigError(err) && err.code).toBe('unreadable');
  });

  it.each(['kube:443', 'ftp://kube', ''])('rejects server %j', (server) => {
    let err: unknown;
    try {
      new KubeConfig({ server });
    } catch (e) {
      err = e;
    }
    expect(isKubeConfigError(err) && err.code).toBe('invalid');
  });

  it('points the same credentials at another server', async () => {
    const config = new KubeConfig({
      server: 'https://kube:443',
      ca: 'CA',
      auth: { kind: 'token', token: 't' },
      namespace: ' ns ',
    });
    const proxied = config.withServer('https://127.0.0.1:9999');
    expect(proxied.server).toBe('https://127.0.0.1:9999');
    expect(proxied.namespace).toBe('ns');
    expect(await proxied.requestOptions()).toEqual(await config.requestOptions());
  });
});
