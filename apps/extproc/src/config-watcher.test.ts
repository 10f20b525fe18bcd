import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toConfigBundle, type ConfigBundle, type FilterConfigInput } from '@aigw/filterapi';
import { removeTempDir, tempDir, waitFor } from '@aigw/testkit';
import { bundleFiles, ProjectedVolume } from '../test/support/projected-volume.js';
import { ConfigWatcher } from './config-watcher.js';

const secretA = 'sk-watch-secret-aaaaaaaa';
const secretRotated = 'sk-watch-secret-rotated-bbbbbbbbbbbb';

interface MemoryLog {
  readonly log: Logger;
  text(): string;
  lines(): { level: number; msg: string; [key: string]: unknown }[];
}

/** A debug-level pino logger whose JSON lines stay in memory. */
function memoryLog(): MemoryLog {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return {
    log: pino({ level: 'debug' }, sink),
    text: () => chunks.join(''),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: number; msg: string }),
  };
}

describe('ConfigWatcher', () => {
  let dir: string;
  let configPath: string;
  let keyPath: string;
  let memory: MemoryLog;
  const watchers: ConfigWatcher[] = [];

  /** Replaces a file atomically (new inode), as a Kubernetes volume update or `aigw run` does. */
  function writeAtomic(path: string, text: string): void {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  }

  function configWith(overrides: Partial<FilterConfigInput> = {}): FilterConfigInput {
    return {
      version: 'v1',
      uuid: 'gen-1',
      backends: [
        { name: 'a', schema: { name: 'OpenAI' }, auth: { apiKey: { file: keyPath } } },
        { name: 'open', schema: { name: 'OpenAI' } },
      ],
      ...overrides,
    };
  }

  function writeConfig(config: FilterConfigInput | string): void {
    writeAtomic(configPath, typeof config === 'string' ? config : JSON.stringify(config));
  }

  function watcher(): ConfigWatcher {
    // A long interval: the tests drive check() themselves.
    const w = new ConfigWatcher({ path: configPath, log: memory.log, intervalMs: 60_000 });
    watchers.push(w);
    return w;
  }

  function messages(msg: string): unknown[] {
    return memory.lines().filter((line) => line.msg === msg);
  }

  beforeEach(() => {
    dir = tempDir('watch');
    configPath = join(dir, 'filter-config.yaml');
    keyPath = join(dir, 'key-a');
    memory = memoryLog();
    writeFileSync(keyPath, `${secretA}\n`);
    writeConfig(configWith());
  });

  afterEach(async () => {
    for (const w of watchers.splice(0)) w.close();
    // Whatever happened in the test, no credential reached a log line.
    for (const secret of [secretA, secretRotated]) expect(memory.text()).not.toContain(secret);
    await removeTempDir(dir);
  });

  it('starts on a valid file and reports what it loaded', async () => {
    const w = watcher();
    await w.start();
    expect(w.current.config.uuid).toBe('gen-1');
    expect(w.current.backends.get('a')?.credential?.value).toBe(`Bearer ${secretA}`);
    expect(w.current.watchedFiles).toEqual([keyPath]);
    expect(messages('config loaded')).toEqual([
      expect.objectContaining({ level: 30, path: configPath, version: 'v1', uuid: 'gen-1' }),
    ]);
    expect(messages('config loaded')[0]).toMatchObject({ backends: 2, costs: 0 });
  });

  it('has no config before start() completes', () => {
    expect(() => watcher().current).toThrow(/start\(\) has not completed/);
  });

  it.each([
    ['invalid YAML', 'version: v1\nbackends: [ {name: broken', /filter config/],
    ['a schema violation', JSON.stringify({ version: 'v1', backends: [{ name: 'x' }] }), /schema/],
    ['another version', JSON.stringify({ version: 'v9' }), /v1/],
    [
      'a CEL cost that does not type-check',
      JSON.stringify({
        version: 'v1',
        llmRequestCosts: [{ metadataKey: 'c', type: 'CEL', cel: '"s"' }],
      }),
      /llmRequestCosts c/,
    ],
  ])('refuses to start on %s', async (_, text, why) => {
    writeConfig(text);
    const w = watcher();
    await expect(w.start()).rejects.toThrow(why);
    expect(() => w.current).toThrow(/has not completed/);
  });

  it('refuses to start when the file is missing or a credential file is empty', async () => {
    rmSync(configPath);
    await expect(watcher().start()).rejects.toThrow(/ENOENT/);
    writeConfig(configWith());
    writeFileSync(keyPath, '\n');
    await expect(watcher().start()).rejects.toThrow(
      `backend a: credential file ${keyPath} is empty`,
    );
  });

  it('applies a changed config on check()', async () => {
    const w = watcher();
    await w.start();
    writeConfig(
      configWith({ uuid: 'gen-2', routes: { rules: [{ models: ['m'], cluster: 'c' }] } }),
    );
    expect(w.current.config.uuid).toBe('gen-1');
    await w.check();
    expect(w.current.config.uuid).toBe('gen-2');
    expect(w.current.router?.clusterFor('m')).toBe('c');
    expect(messages('config reloaded')).toEqual([
      expect.objectContaining({ level: 30, uuid: 'gen-2', path: configPath }),
    ]);
  });

  // Regression test (found by review before release).
  it('keeps the same config object when nothing changed (no credential files)', async () => {
    writeConfig(configWith({ backends: [{ name: 'open', schema: { name: 'OpenAI' } }] }));
    const w = watcher();
    await w.start();
    const first = w.current;
    await w.check();
    await w.check();
    expect(w.current).toBe(first);
    expect(messages('config reloaded')).toHaveLength(0);
  });

  // Regression test (found by review before release).
  it('keeps the same config object when nothing changed (with credential files)', async () => {
    const w = watcher();
    await w.start();
    const first = w.current;
    await w.check();
    expect(w.current).toBe(first);
    expect(messages('config reloaded')).toHaveLength(0);
  });

  it('picks up a rotated credential file on check()', async () => {
    const w = watcher();
    await w.start();
    await w.check();
    writeFileSync(keyPath, `${secretRotated}\n`);
    await w.check();
    expect(w.current.backends.get('a')?.credential).toEqual({
      name: 'authorization',
      value: `Bearer ${secretRotated}`,
    });
  });

  it("picks up a Kubernetes Secret volume's atomic symlink swap", async () => {
    // <dir>/secret/key -> ..data/key, ..data -> ..v1: the kubelet swaps ..data to a new directory.
    const secretDir = join(dir, 'secret');
    mkdirSync(join(secretDir, '..v1'), { recursive: true });
    mkdirSync(join(secretDir, '..v2'));
    writeFileSync(join(secretDir, '..v1', 'key'), secretA);
    writeFileSync(join(secretDir, '..v2', 'key'), secretRotated);
    symlinkSync('..v1', join(secretDir, '..data'));
    symlinkSync(join('..data', 'key'), join(secretDir, 'key'));
    writeConfig(
      configWith({
        backends: [
          {
            name: 'a',
            schema: { name: 'OpenAI' },
            auth: { azureApiKey: { file: join(secretDir, 'key') } },
          },
        ],
      }),
    );
    const w = watcher();
    await w.start();
    await w.check();
    expect(w.current.backends.get('a')?.credential?.value).toBe(secretA);
    symlinkSync('..v2', join(secretDir, '..data.tmp'));
    renameSync(join(secretDir, '..data.tmp'), join(secretDir, '..data'));
    await w.check();
    expect(w.current.backends.get('a')?.credential).toEqual({
      name: 'api-key',
      value: secretRotated,
    });
  });

  it('keeps the last good config on a bad change and reports it once until the file changes', async () => {
    const w = watcher();
    await w.start();
    await w.check();
    const good = w.current;
    writeConfig('version: v1\nbackends: [ {name: broken');
    await w.check();
    await w.check();
    await w.check();
    expect(w.current).toBe(good);
    const rejected = messages('config change rejected; keeping the last good config');
    expect(rejected).toEqual([expect.objectContaining({ level: 50, path: configPath })]);

    writeConfig(JSON.stringify({ version: 'v1', backends: [{ name: 'still broken' }] }));
    await w.check();
    await w.check();
    expect(w.current).toBe(good);
    expect(messages('config change rejected; keeping the last good config')).toHaveLength(2);

    writeConfig(configWith({ uuid: 'gen-3' }));
    await w.check();
    expect(w.current.config.uuid).toBe('gen-3');
    expect(messages('config reloaded').at(-1)).toMatchObject({ uuid: 'gen-3' });
  });

  it('keeps the last good credential when a rotated file is empty or removed, and logs no secret', async () => {
    const w = watcher();
    await w.start();
    await w.check();
    const good = w.current;
    writeFileSync(keyPath, '');
    await w.check();
    await w.check();
    expect(w.current).toBe(good);
    expect(w.current.backends.get('a')?.credential?.value).toBe(`Bearer ${secretA}`);
    const rejected = memory.lines().filter((line) => line.msg.startsWith('config change rejected'));
    expect(rejected).toHaveLength(1);
    expect(JSON.stringify(rejected[0])).toContain(`credential file ${keyPath} is empty`);

    rmSync(keyPath);
    await w.check();
    expect(w.current).toBe(good);
    expect(memory.lines().filter((l) => l.msg.startsWith('config change rejected'))).toHaveLength(
      2,
    );

    writeFileSync(keyPath, secretRotated);
    await w.check();
    expect(w.current.backends.get('a')?.credential?.value).toBe(`Bearer ${secretRotated}`);
  });

  it('polls on its own once started', async () => {
    const w = new ConfigWatcher({ path: configPath, log: memory.log, intervalMs: 10 });
    watchers.push(w);
    await w.start();
    writeConfig(configWith({ uuid: 'polled' }));
    await waitFor(() => w.current.config.uuid === 'polled', {
      timeoutMs: 5_000,
      description: 'the watcher to apply the change by itself',
    });
  });

  it('checks at each tick of its schedule, and never after close()', async () => {
    const ticks = new Set<() => void>();
    const w = new ConfigWatcher({
      path: configPath,
      log: memory.log,
      intervalMs: 10,
      schedule: (tick, intervalMs) => {
        expect(intervalMs).toBe(10);
        ticks.add(tick);
        return { cancel: () => ticks.delete(tick) };
      },
    });
    watchers.push(w);
    await w.start();
    expect(ticks.size).toBe(1);
    const fire = async (): Promise<void> => {
      for (const tick of ticks) tick();
      await w.idle();
    };
    writeConfig(configWith({ uuid: 'ticked' }));
    expect(w.current.config.uuid).toBe('gen-1');
    await fire();
    expect(w.current.config.uuid).toBe('ticked');

    // A tick whose check is still running when close() comes finishes; none comes after it.
    writeConfig(configWith({ uuid: 'in-flight' }));
    for (const tick of ticks) tick();
    w.close();
    expect(ticks.size).toBe(0);
    await w.idle();
    expect(w.current.config.uuid).toBe('in-flight');
    writeConfig(configWith({ uuid: 'after-close' }));
    await fire();
    expect(w.current.config.uuid).toBe('in-flight');
  });
});

describe('ConfigWatcher on a mounted config bundle directory', () => {
  let dir: string;
  let volume: ProjectedVolume;
  let memory: MemoryLog;
  const watchers: ConfigWatcher[] = [];
  const gateway = { gatewayNamespace: 'ns', gatewayName: 'gw' };
  const transitionMessage =
    'config bundle parts do not match its index; keeping the last good config until the next change';

  /** A bundle of a config routing `model` to `cluster`, cut in small parts. */
  function bundleOf(uuid: string, cluster: string): ConfigBundle {
    const config: FilterConfigInput = {
      version: 'v1',
      uuid,
      routes: { rules: [{ models: ['model'], cluster }] },
      models: Array.from({ length: 20 }, (_, i) => ({ name: `model-${String(i)}` })),
    };
    return toConfigBundle(JSON.stringify(config), {
      ...gateway,
      maxPartBytes: 200,
      maxParts: 64,
      uuid,
    });
  }

  function watcher(): ConfigWatcher {
    const w = new ConfigWatcher({ path: volume.dir, log: memory.log, intervalMs: 60_000 });
    watchers.push(w);
    return w;
  }

  const messages = (msg: string): { level: number }[] =>
    memory.lines().filter((line) => line.msg === msg);

  beforeEach(() => {
    dir = tempDir('watch-bundle');
    volume = new ProjectedVolume(join(dir, 'filter-config-bundle'));
    memory = memoryLog();
  });

  afterEach(async () => {
    for (const w of watchers.splice(0)) w.close();
    await removeTempDir(dir);
  });

  it('starts from the bundle and follows each ..data swap', async () => {
    volume.write(bundleFiles(bundleOf('gen-1', 'c1')));
    const w = watcher();
    await w.start();
    expect(w.current.router?.clusterFor('model')).toBe('c1');
    expect(messages('config loaded')).toEqual([
      expect.objectContaining({ path: volume.dir, uuid: 'gen-1' }),
    ]);
    await w.check();
    expect(messages('config reloaded')).toHaveLength(0);
    volume.write(bundleFiles(bundleOf('gen-2', 'c2')));
    await w.check();
    expect(w.current.router?.clusterFor('model')).toBe('c2');
    expect(messages('config reloaded')).toEqual([expect.objectContaining({ uuid: 'gen-2' })]);
  });

  it('keeps the last good config while parts and index disagree, warns once, applies the repair', async () => {
    const old = bundleOf('gen-1', 'c1');
    volume.write(bundleFiles(old));
    const w = watcher();
    await w.start();
    const good = w.current;
    // The kubelet's view of the index is newer than its view of the parts.
    volume.write({ ...bundleFiles(old), 'index.yaml': bundleOf('gen-2', 'c2').indexText });
    await w.check();
    await w.check();
    expect(w.current).toBe(good);
    expect(messages(transitionMessage)).toEqual([expect.objectContaining({ level: 40 })]);
    volume.write(bundleFiles(bundleOf('gen-2', 'c2')));
    await w.check();
    expect(w.current.router?.clusterFor('model')).toBe('c2');
    expect(messages(transitionMessage)).toHaveLength(1);
  });

  it('does not fail start() on a bundle between generations: it waits for the whole one', async () => {
    const next = bundleOf('gen-2', 'c2');
    volume.write({ ...bundleFiles(bundleOf('gen-1', 'c1')), 'index.yaml': next.indexText });
    const w = watcher();
    await w.start();
    expect(w.isLoaded).toBe(false);
    expect(messages(transitionMessage)).toHaveLength(1);
    let isFirstLoaded = false;
    void w.firstLoaded.then(() => {
      isFirstLoaded = true;
    });
    volume.write(bundleFiles(next));
    await w.check();
    await w.firstLoaded;
    expect(isFirstLoaded).toBe(true);
    expect(w.current.config.uuid).toBe('gen-2');
    expect(messages('config loaded')).toEqual([expect.objectContaining({ uuid: 'gen-2' })]);
  });

  it('fails start() on a directory without an index (not a bundle)', async () => {
    volume.write({ 'filter-config.yaml': 'version: v1\n' });
    await expect(watcher().start()).rejects.toThrow(/no bundle index index.yaml/);
  });

  it('startWaiting() never throws: it reports and polls until a usable config arrives', async () => {
    const w = new ConfigWatcher({
      path: join(dir, 'not-mounted-yet'),
      log: memory.log,
      intervalMs: 60_000,
    });
    watchers.push(w);
    await w.startWaiting();
    expect(w.isLoaded).toBe(false);
    expect(messages('config change rejected; keeping the last good config')).toHaveLength(1);
    await w.check();
    expect(messages('config change rejected; keeping the last good config')).toHaveLength(1);
    const late = new ProjectedVolume(join(dir, 'not-mounted-yet'));
    late.write(bundleFiles(bundleOf('gen-3', 'c3')));
    await w.check();
    expect(w.current.config.uuid).toBe('gen-3');
  });
});
