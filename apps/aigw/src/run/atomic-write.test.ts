import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './atomic-write.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-atomic-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes the content, creating the directory, and leaves no temporary file', async () => {
    const dir = tempDir();
    const path = join(dir, 'xds', 'cds.yaml');
    await writeFileAtomic(path, 'resources: []\n');
    expect(readFileSync(path, 'utf8')).toBe('resources: []\n');
    expect(readdirSync(join(dir, 'xds'))).toEqual(['cds.yaml']);
  });

  it('replaces the file by a rename (a new inode), which is what Envoy watches for', async () => {
    const dir = tempDir();
    const path = join(dir, 'lds.yaml');
    await writeFileAtomic(path, 'a\n');
    const before = statSync(path).ino;
    const events: string[] = [];
    const watcher = watch(dir, (event, name) => events.push(`${event}:${String(name)}`));
    await writeFileAtomic(path, 'b\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    watcher.close();
    expect(statSync(path).ino).not.toBe(before);
    expect(readFileSync(path, 'utf8')).toBe('b\n');
    expect(events).toContain('rename:lds.yaml');
  });

  it('makes files private by default (credentials) and honours a mode', async () => {
    const dir = tempDir();
    await writeFileAtomic(join(dir, 'key'), 'secret');
    await writeFileAtomic(join(dir, 'open'), 'x', { mode: 0o644 });
    expect(statSync(join(dir, 'key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'open')).mode & 0o777).toBe(0o644);
  });

  it('a reader never sees a partial file while a large file is rewritten', async () => {
    const dir = tempDir();
    const path = join(dir, 'big.yaml');
    const a = 'a'.repeat(1 << 20);
    const b = 'b'.repeat(1 << 20);
    await writeFileAtomic(path, a);
    const writes = (async () => {
      for (let i = 0; i < 20; i += 1) await writeFileAtomic(path, i % 2 ? a : b);
    })();
    const seen = new Set<string>();
    const state = { done: false };
    void writes.finally(() => {
      state.done = true;
    });
    while (!state.done) {
      const text = readFileSync(path, 'utf8');
      seen.add(text === a ? 'a' : text === b ? 'b' : `partial(${String(text.length)})`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await writes;
    expect([...seen].filter((s) => s.startsWith('partial'))).toEqual([]);
  });
});
