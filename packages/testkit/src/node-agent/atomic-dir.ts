import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A file of a materialised volume: its content and mode. */
export interface VolumeFile {
  readonly data: Buffer;
  readonly mode?: number;
}

/**
 * Writes `files` (relative path → content) into `dir` the way the kubelet's AtomicWriter does for
 * Secret, ConfigMap, projected and downward API volumes: the files live in a timestamped
 * directory `..<stamp>`, a symlink `..data` points at it, and each top-level name is a symlink
 * through `..data`. An update writes a new directory and swaps `..data` with one rename, so a
 * reader never sees half an update (and file watchers see the swap the way they would in a pod).
 * Returns false (and writes nothing) when the content equals what `previousDigest` describes.
 */
export async function writeAtomicDir(
  dir: string,
  files: ReadonlyMap<string, VolumeFile>,
  previousDigest?: string,
): Promise<{ readonly digest: string; readonly isWritten: boolean }> {
  const digest = digestOf(files);
  if (digest === previousDigest) {
    return { digest, isWritten: false };
  }
  await mkdir(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${randomBytes(4).toString('hex')}`;
  for (const [path, file] of files) {
    const target = join(dir, stamp, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.data, { mode: file.mode ?? 0o644 });
  }
  await mkdir(join(dir, stamp), { recursive: true });
  const tmpLink = join(dir, '..data_tmp');
  await rm(tmpLink, { force: true });
  await symlink(stamp, tmpLink);
  await rename(tmpLink, join(dir, '..data'));
  const topLevel = new Set([...files.keys()].map((path) => path.split('/')[0] ?? path));
  for (const name of topLevel) {
    await symlink(join('..data', name), join(dir, name)).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw err;
      }
    });
  }
  for (const entry of await readdir(dir)) {
    const isStale = entry.startsWith('..')
      ? entry !== '..data' && entry !== stamp
      : !topLevel.has(entry);
    if (isStale) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  return { digest, isWritten: true };
}

function digestOf(files: ReadonlyMap<string, VolumeFile>): string {
  const hash = createHash('sha256');
  for (const [path, file] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    hash.update(`${path}\0${String(file.mode ?? 0o644)}\0${String(file.data.length)}\0`);
    hash.update(file.data);
  }
  return hash.digest('hex');
}
