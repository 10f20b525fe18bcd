import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Finds the monorepo root (the nearest ancestor holding `pnpm-workspace.yaml`), starting from
 * `from` (default: the working directory) and then from this file's own location.
 */
export function findRepoRoot(from: string = process.cwd()): string | undefined {
  return walkUp(resolve(from)) ?? walkUp(import.meta.dirname);
}

function walkUp(start: string): string | undefined {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}
