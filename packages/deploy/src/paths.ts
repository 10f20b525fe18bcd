import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/deploy/src/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(repoRoot, ...parts);
}

export const chartDir = repoPath('deploy/helm/aigw');
export const crdChartDir = repoPath('deploy/helm/aigw-crds');
export const kustomizeDir = repoPath('deploy/kustomize');

/** An executable at `path`, when it exists. */
export function existing(path: string | undefined): string | undefined {
  return path !== undefined && path !== '' && existsSync(path) ? path : undefined;
}
