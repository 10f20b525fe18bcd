import { execFile } from 'node:child_process';

import { DeployError } from './errors.js';
import { existing, repoPath } from './paths.js';

/**
 * helm: `HELM_BIN`, else `.tools/bin/helm` (scripts/build-helm.sh builds it; `scripts/bootstrap.sh
 * --test` calls that).
 *
 * @throws DeployError `tool-missing` naming both.
 */
export function findHelm(env: Readonly<Record<string, string | undefined>>): string {
  const found = existing(env.HELM_BIN) ?? existing(repoPath('.tools/bin/helm'));
  if (found === undefined) {
    throw new DeployError(
      'tool-missing',
      `helm not found: set HELM_BIN or run 'bash scripts/build-helm.sh' (builds helm v3.22.1 into .tools/bin from the Go module proxy)${env.HELM_BIN ? ` (HELM_BIN=${env.HELM_BIN} does not exist)` : ''}`,
    );
  }
  return found;
}

/** kubectl: `KUBECTL_BIN`, else `.tools/bin/kubectl` (scripts/build-kube.sh); undefined when neither exists. */
export function findKubectl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return existing(env.KUBECTL_BIN) ?? existing(repoPath('.tools/bin/kubectl'));
}

/** The result of {@link run}. */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `file args` and returns its exit code and output (a non-zero exit is not thrown). */
export function run(
  file: string,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? repoPath(), maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(
            new DeployError('tool-failed', `${file} ${args.join(' ')}: ${err.message}`, {
              cause: err,
            }),
          );
          return;
        }
        resolvePromise({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/** Runs `file args` and returns stdout; a non-zero exit throws DeployError `tool-failed` with stderr. */
export async function runOk(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, args);
  if (result.code !== 0) {
    throw new DeployError(
      'tool-failed',
      `${file} ${args.join(' ')} exited ${String(result.code)}: ${result.stderr.trim()}`,
    );
  }
  return result.stdout;
}
