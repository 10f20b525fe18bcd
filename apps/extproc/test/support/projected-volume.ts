import {
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { configBundleIndexKey, type ConfigBundle } from '@aigw/filterapi';

/** A volume's files: relative path → content. */
export type VolumeFiles = Readonly<Record<string, string | Uint8Array>>;

const dataLink = '..data';

/**
 * A directory written the way the kubelet's AtomicWriter writes a Secret or projected volume:
 * the files in a timestamped directory `..<generation>`, `..data` a symlink to it, and each
 * top-level entry (`index.yaml`, `parts`) a symlink through `..data`. {@link write} stages a
 * new generation, swaps `..data` with one `rename` (atomic), fixes the top-level links and
 * deletes the previous generation, in the kubelet's order.
 */
export class ProjectedVolume {
  readonly dir: string;
  #generation = 0;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  /** Publishes `files` as the volume's new content. */
  write(files: VolumeFiles): void {
    this.#generation += 1;
    const generation = `..${String(this.#generation).padStart(4, '0')}_generation`;
    for (const [path, content] of Object.entries(files)) {
      const file = join(this.dir, generation, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    const link = join(this.dir, dataLink);
    const previous = existsSync(link) ? readlinkSync(link) : undefined;
    symlinkSync(generation, join(this.dir, `${dataLink}_tmp`));
    renameSync(join(this.dir, `${dataLink}_tmp`), link);
    const topLevel = new Set(Object.keys(files).map((path) => path.split('/')[0] ?? path));
    for (const name of topLevel) {
      if (!existsSync(join(this.dir, name)))
        symlinkSync(join(dataLink, name), join(this.dir, name));
    }
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith('..') && !topLevel.has(name)) rmSync(join(this.dir, name));
    }
    if (previous !== undefined) rmSync(join(this.dir, previous), { recursive: true });
  }
}

/** The files of a mounted bundle: `index.yaml` and each part at its `path`. */
export function bundleFiles(bundle: ConfigBundle): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = { [configBundleIndexKey]: bundle.indexText };
  bundle.parts.forEach((part, i) => {
    files[bundle.index.parts[i]?.path ?? ''] = part.data;
  });
  return files;
}
