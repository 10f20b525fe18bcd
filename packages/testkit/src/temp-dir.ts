import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { onProcessExit } from './exit-hooks.js';

const liveDirs = new Set<string>();

/**
 * Creates a fresh directory `<os.tmpdir()>/aigw-<prefix>-XXXXXX`, short enough for Unix socket
 * paths. It is removed by {@link removeTempDir}, by `stopAll()`, or at the latest when this
 * process exits.
 */
export function tempDir(prefix = 'tmp'): string {
  const safe = prefix.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 24);
  const dir = mkdtempSync(join(tmpdir(), `aigw-${safe}-`));
  if (liveDirs.size === 0) {
    onProcessExit(removeAllTempDirsSync, 'cleanup');
  }
  liveDirs.add(dir);
  return dir;
}

/** Removes a directory made by {@link tempDir} (and anything in it). */
export async function removeTempDir(dir: string): Promise<void> {
  liveDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Removes every directory made by {@link tempDir} that still exists. */
export async function removeAllTempDirs(): Promise<void> {
  await Promise.all([...liveDirs].map(removeTempDir));
}

function removeAllTempDirsSync(): void {
  for (const dir of liveDirs) {
    rmSync(dir, { recursive: true, force: true });
  }
  liveDirs.clear();
}
