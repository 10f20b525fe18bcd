import type { Stats } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import {
  assembleConfigBundle,
  ConfigBundleError,
  configBundleIndexKey,
  configBundlePartPath,
  isConfigBundleError,
  parseConfigBundleIndex,
  parseFilterConfig,
  readFilterConfigFile,
  type ConfigBundleIndex,
  type ConfigBundlePart,
  type FilterConfig,
} from '@aigw/filterapi';

// The mounted copy of a config bundle: in Kubernetes the Envoy pod mounts the index Secret and
// the part Secrets in one projected volume, `index.yaml` at the root and each part at its `path`
// (`parts/000`, …), as upstream's extproc reads it with `-configBundlePath`
// (`internal/filterapi/watcher.go`). The kubelet writes such a volume with its AtomicWriter: the
// files live in a timestamped directory `..<timestamp>`, `..data` is a symlink to it, and the
// visible entries (`index.yaml`, `parts`) are symlinks through `..data`. An update writes a new
// timestamped directory, swaps `..data` with one rename and deletes the old directory; the
// kubelet's view of each Secret may be of a different moment, so a volume update can pair a new
// index with old parts (or the reverse) until its next sync.

/** The kubelet's atomic-swap symlink in a Secret or projected volume. */
const kubeletDataLink = '..data';

/** A bundle read from a directory. */
export interface ConfigBundleDir {
  /** The directory the files were read from: the target of `..data` when there is one. */
  readonly root: string;
  readonly index: ConfigBundleIndex;
  /** The config text the parts put together make (checked against the index). */
  readonly text: string;
}

const isNotFound = (err: unknown): boolean =>
  err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Where a mounted volume's files are: the directory `..data` points to (so every read of one
 * load sees one generation, even if the kubelet swaps `..data` meanwhile), else `dir` itself.
 */
async function dataRoot(dir: string): Promise<string> {
  try {
    return await realpath(join(dir, kubeletDataLink));
  } catch (err) {
    if (isNotFound(err)) return dir;
    throw err;
  }
}

/**
 * The file of part `position` below the bundle root: its `path`, or upstream's `parts/NNN` when
 * the index has none.
 *
 * @throws ConfigBundleError `invalid_index` for a path that leaves the directory.
 */
function partFile(part: ConfigBundlePart, position: number): string {
  const path = posix.normalize(part.path ?? configBundlePartPath(position));
  if (posix.isAbsolute(path) || path === '.' || path === '..' || path.startsWith('../')) {
    throw new ConfigBundleError(
      'invalid_index',
      `bundle index: parts[${String(position)}].path must be a relative path inside the bundle directory`,
    );
  }
  return path;
}

async function readIndexText(root: string, dir: string): Promise<string> {
  try {
    return await readFile(join(root, configBundleIndexKey), 'utf8');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new ConfigBundleError(
      'missing_index',
      `no bundle index ${configBundleIndexKey} in ${dir} (a single config file is passed as its own path)`,
      { cause: err },
    );
  }
}

/**
 * Reads a config bundle from a directory laid out like upstream's mount (`index.yaml` and the
 * parts at their `path`s, directly or through the kubelet's `..data` link) and puts it together
 * with the bundle's checks: every part present, of the listed size, the whole hashing to the
 * index's checksum. Never returns a partial text.
 *
 * @throws ConfigBundleError `missing_index`, `invalid_index`, `missing_part`,
 *   `part_size_mismatch` or `checksum_mismatch`; other file-system errors unchanged.
 */
export async function readConfigBundleDir(dir: string): Promise<ConfigBundleDir> {
  const root = await dataRoot(dir);
  const index = parseConfigBundleIndex(await readIndexText(root, dir));
  const files = index.parts.map((part, position) => partFile(part, position));
  const data = new Map<string, Uint8Array>();
  await Promise.all(
    index.parts.map(async (part, position) => {
      try {
        data.set(part.name, await readFile(join(root, files[position] ?? '')));
      } catch (err) {
        // A missing file is the bundle's `missing_part`, reported by assembleConfigBundle.
        if (!isNotFound(err)) throw err;
      }
    }),
  );
  return { root, index, text: assembleConfigBundle(index, (name) => data.get(name)) };
}

/**
 * Reads the filter config at `path`: a single file (YAML or JSON), or a directory holding a
 * mounted config bundle ({@link readConfigBundleDir}).
 *
 * @throws ConfigBundleError for a directory whose bundle is incomplete or inconsistent,
 *   FilterConfigError for a config that does not parse or validate, file-system errors unchanged.
 */
export async function readFilterConfigPath(path: string): Promise<FilterConfig> {
  if (!(await stat(path)).isDirectory()) return readFilterConfigFile(path);
  const { text } = await readConfigBundleDir(path);
  return parseFilterConfig(text, { source: path });
}

/**
 * True for the bundle states a mounted volume passes through while the kubelet updates it (a
 * part missing, or index and parts of different generations): retried at the next change,
 * reported as a warning, never fatal.
 */
export function isBundleInTransition(err: unknown): boolean {
  if (!isConfigBundleError(err)) return false;
  return (
    err.code === 'missing_part' ||
    err.code === 'part_size_mismatch' ||
    err.code === 'checksum_mismatch'
  );
}

const statSignature = (s: Stats): string =>
  `${String(s.ino)}:${String(s.size)}:${String(s.mtimeMs)}`;

/** A cheap change signature of one file (`stat`, following symlinks); `missing` when absent. */
export async function fileSignature(path: string): Promise<string> {
  try {
    return statSignature(await stat(path));
  } catch {
    return 'missing';
  }
}

/**
 * A change signature of a config path: the file's `stat`, or for a bundle directory the target
 * of `..data` plus the `stat` of the index and of every part it lists (so a `..data` swap, an
 * index rewrite and a part rewritten in place all change it). Reads only the small index.
 */
export async function configPathSignature(path: string): Promise<string> {
  let s: Stats;
  try {
    s = await stat(path);
  } catch {
    return 'missing';
  }
  if (!s.isDirectory()) return statSignature(s);
  let root: string;
  try {
    root = await dataRoot(path);
  } catch {
    return 'missing';
  }
  const indexPath = join(root, configBundleIndexKey);
  let partFiles: string[] = [];
  try {
    const index = parseConfigBundleIndex(await readFile(indexPath, 'utf8'));
    partFiles = index.parts.map((part, position) => join(root, partFile(part, position)));
  } catch {
    // An unreadable or invalid index: its own stat still changes when it is rewritten.
  }
  const signatures = await Promise.all([indexPath, ...partFiles].map(fileSignature));
  return [root, ...signatures].join(',');
}
