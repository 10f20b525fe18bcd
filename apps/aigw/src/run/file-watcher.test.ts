import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchFiles, type FileWatch } from './file-watcher.js';

// No fixed sleeps: each test waits for a condition (and fails loudly on timeout), and each
// negative test proves the event it ignores did happen — a second watcher (the witness) sees it
// first — or forces a scan and checks its result.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface Watched {
  readonly watch: FileWatch;
  changes(): number;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-watch-'));
  cleanups.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Watches `files`; `debounceMs` small by default. The poll is slow unless asked, so fs.watch leads. */
async function watching(
  files: string[],
  options: { debounceMs?: number; pollMs?: number } = {},
): Promise<Watched> {
  let count = 0;
  const watch = watchFiles(files, {
    debounceMs: options.debounceMs ?? 20,
    pollMs: options.pollMs ?? 60_000,
    onChange: () => {
      count += 1;
    },
  });
  cleanups.unshift(() => {
    watch.close();
  });
  await watch.ready;
  return { watch, changes: () => count };
}

/** Waits until `w` reported a change; fails the test, naming what it waited for, after 5 s. */
async function changedOnce(w: Watched, description: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (w.changes() === 0) {
    if (Date.now() > deadline) throw new Error(`timed out after 5 s waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('watchFiles', () => {
  it('reports a burst of writes once, and the poll does not report it again', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'a: 1\n');
    const w = await watching([file]);
    writeFileSync(file, 'a: 2\n');
    appendFileSync(file, 'b: 3\n');
    await changedOnce(w, 'the in-place write to be reported');
    // The report took the new state as seen: a scan finds nothing new.
    expect(await w.watch.scanNow()).toBe(false);
    expect(w.changes()).toBe(1);
  });

  it('reports an editor-style replace (write a temp file, rename over)', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'a: 1\n');
    const w = await watching([file]);
    writeFileSync(join(dir, '.gateway.yaml.swp'), 'a: 9\n');
    renameSync(join(dir, '.gateway.yaml.swp'), file);
    await changedOnce(w, 'the rename over the file to be reported');
  });

  it('ignores other files in the directory', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    const other = join(dir, 'unrelated.txt');
    writeFileSync(file, 'a: 1\n');
    writeFileSync(other, 'x');
    const w = await watching([file]);
    // The witness watches the other file with a longer debounce: when it reports, the same
    // directory event has reached the watcher under test, and its shorter debounce has run out.
    const witness = await watching([other], { debounceMs: 100 });
    writeFileSync(other, 'y');
    await changedOnce(witness, 'the witness to see the write to the other file');
    expect(await w.watch.scanNow()).toBe(false);
    expect(w.changes()).toBe(0);
  });

  it('falls back to the stat poll where fs.watch cannot watch (directory created later)', async () => {
    const dir = tempDir();
    const file = join(dir, 'later', 'gateway.yaml');
    const w = await watching([file], { pollMs: 30 });
    mkdirSync(join(dir, 'later'));
    writeFileSync(file, 'a: 1\n');
    await changedOnce(w, 'the poll to see the file appear');
    expect(await w.watch.scanNow()).toBe(false);
    expect(w.changes()).toBe(1);
  });

  it('a forced scan sees a change the watch has not reported yet', async () => {
    const dir = tempDir();
    const file = join(dir, 'later', 'gateway.yaml');
    // No fs.watch possible (no directory) and no poll soon: only scanNow can see it.
    const w = await watching([file], { debounceMs: 10 });
    mkdirSync(join(dir, 'later'));
    writeFileSync(file, 'a: 1\n');
    expect(await w.watch.scanNow()).toBe(true);
    await changedOnce(w, 'the forced scan to lead to a report');
  });

  it('stops reporting after close', async () => {
    const dir = tempDir();
    const file = join(dir, 'gateway.yaml');
    writeFileSync(file, 'a: 1\n');
    const w = await watching([file], { pollMs: 10 });
    const witness = await watching([file], { debounceMs: 100 });
    w.watch.close();
    writeFileSync(file, 'a: 3\n');
    await changedOnce(witness, 'the witness to see the write');
    expect(w.changes()).toBe(0);
  });
});
