import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { format, resolveConfig } from 'prettier';

import { generatedDirs, renderChartFiles, renderKustomize, type FileMap } from './render.js';
import { repoPath } from './paths.js';

/** Copies kept byte for byte (deploy/crds is not prettier-formatted either). */
const verbatim = /^deploy\/helm\/aigw-crds\/files\//;

/** `files` as prettier formats them (`pnpm format:check` covers deploy/). */
export async function prettierFormatted(files: FileMap): Promise<FileMap> {
  const out: FileMap = new Map();
  for (const [path, content] of files) {
    if (verbatim.test(path)) {
      out.set(path, content);
      continue;
    }
    const filepath = repoPath(path);
    const config = (await resolveConfig(filepath)) ?? {};
    out.set(path, await format(content, { ...config, filepath }));
  }
  return out;
}

/** Every generated file of deploy/: the chart parts, then the Kustomize tree (needs helm). */
export async function renderAll(helm: string): Promise<FileMap> {
  const files = await renderChartFiles();
  for (const [path, content] of await renderKustomize(helm)) files.set(path, content);
  return prettierFormatted(files);
}

function listFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** The generated files on disk now: those of `expected` and every file of the generated dirs. */
export function filesOnDisk(expected: FileMap): FileMap {
  const out: FileMap = new Map();
  const paths = new Set([
    ...expected.keys(),
    ...generatedDirs.flatMap((d) => listFiles(repoPath(d)).map((p) => relative(repoPath(), p))),
  ]);
  for (const path of paths) {
    try {
      out.set(path, readFileSync(repoPath(path), 'utf8'));
    } catch {
      // Missing: absent from the map.
    }
  }
  return out;
}

/**
 * Writes `files` and, with `prune`, removes the other files of the generated dirs; returns the
 * paths written or removed.
 */
export function writeFiles(files: FileMap, options: { prune: boolean }): string[] {
  const changed: string[] = [];
  const onDisk = filesOnDisk(files);
  for (const [path] of onDisk) {
    if (options.prune && !files.has(path)) {
      rmSync(repoPath(path));
      changed.push(path);
    }
  }
  for (const [path, content] of files) {
    if (onDisk.get(path) === content) continue;
    mkdirSync(dirname(repoPath(path)), { recursive: true });
    writeFileSync(repoPath(path), content);
    changed.push(path);
  }
  return changed.sort();
}

/** Paths whose content differs between `expected` and `actual` (missing, stale or changed). */
export function differences(expected: FileMap, actual: FileMap): string[] {
  const paths = new Set([...expected.keys(), ...actual.keys()]);
  return [...paths].filter((p) => expected.get(p) !== actual.get(p)).sort();
}
