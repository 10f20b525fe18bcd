import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFiles, type FileWatch } from './file-watcher.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function setup(): {
  dir: string;
  file: string;
  changes: () => number;
  start: (poll?: number) => FileWatch;
} {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-watch-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, 'a: 1\n');
  let count = 0;
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    file,
    changes: () => count,
    start: (pollMs = 250) => {
      const watch = watchFiles([file], {
        debounceMs: 50,
        pollMs,
        onChange: () => {
          count += 1;
        },
      });
      cleanups.unshift(() => {
        watch.close();
      });
      return watch;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await sleep(10);
}

describe('watchFiles', () => {
  it('reports an in-place write once (debounced)', async () => {
    const t = setup();
    t.start();
    await sleep(30);
    writeFileSync(t.file, 'a: 2\n');
    appendFileSync(t.file, 'b: 3\n');
    await until(() => t.changes() > 0);
    await sleep(300);
    expect(t.changes()).toBe(1);
  });

  it('reports an editor-style replace (write a temp file, rename over)', async () => {
    const t = setup();
    t.start();
    await sleep(30);
    writeFileSync(join(t.dir, '.gateway.yaml.swp'), 'a: 9\n');
    renameSync(join(t.dir, '.gateway.yaml.swp'), t.file);
    await until(() => t.changes() > 0);
    expect(t.changes()).toBeGreaterThanOrEqual(1);
  });

  it('ignores other files in the directory', async () => {
    const t = setup();
    t.start();
    await sleep(30);
    writeFileSync(join(t.dir, 'unrelated.txt'), 'x');
    await sleep(400);
    expect(t.changes()).toBe(0);
  });

  it('falls back to the stat poll where fs.watch cannot watch (directory created later)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aigw-watch-'));
    cleanups.push(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = join(dir, 'later', 'gateway.yaml');
    let count = 0;
    const watch = watchFiles([file], {
      debounceMs: 20,
      pollMs: 50,
      onChange: () => {
        count += 1;
      },
    });
    cleanups.unshift(() => {
      watch.close();
    });
    await sleep(100);
    mkdirSync(join(dir, 'later'));
    writeFileSync(file, 'a: 1\n');
    await until(() => count > 0);
    expect(count).toBe(1);
  });

  it('stops reporting after close', async () => {
    const t = setup();
    t.start().close();
    writeFileSync(t.file, 'a: 3\n');
    await sleep(400);
    expect(t.changes()).toBe(0);
  });
});
