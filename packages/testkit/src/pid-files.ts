import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';

import { onProcessExit } from './exit-hooks.js';
import { processStartTime } from './proc-info.js';

/** What the pid file of one process says; `startTime` guards against pid reuse (Linux only). */
export interface PidRecord {
  readonly pid: number;
  readonly startTime?: string;
  readonly command: string;
}

/** Name pattern of pid directories: `aigw-testkit-<owner pid>` plus `-t<thread id>` in workers. */
export const pidDirPattern = /^aigw-testkit-\d+(-t\d+)?$/;

/** File in each pid directory that identifies the process owning the children listed beside it. */
export const ownerFileName = 'owner.json';

let ownDir: string | undefined;

/**
 * Writes a pid file for a child this process started, so `reapOrphans()` can kill it if this
 * process dies without cleaning up (e.g. SIGKILL).
 */
export function recordPid(pid: number, command: string): void {
  const dir = ensureOwnDir();
  writeFileSync(join(dir, `${String(pid)}.json`), JSON.stringify(pidRecord(pid, command)));
}

/** Deletes the pid file of a child that has been stopped. */
export function forgetPid(pid: number): void {
  if (ownDir !== undefined) {
    rmSync(join(ownDir, `${String(pid)}.json`), { force: true });
  }
}

function ensureOwnDir(): string {
  if (ownDir !== undefined) {
    return ownDir;
  }
  const suffix = isMainThread ? '' : `-t${String(threadId)}`;
  const dir = join(tmpdir(), `aigw-testkit-${String(process.pid)}${suffix}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, ownerFileName), JSON.stringify(pidRecord(process.pid, 'testkit owner')));
  onProcessExit(() => {
    rmSync(dir, { recursive: true, force: true });
  }, 'cleanup');
  ownDir = dir;
  return dir;
}

function pidRecord(pid: number, command: string): PidRecord {
  const startTime = processStartTime(pid);
  return startTime === undefined ? { pid, command } : { pid, startTime, command };
}
