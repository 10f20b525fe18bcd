import { readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ownerFileName, pidDirPattern, type PidRecord } from './pid-files.js';
import { isProcessRunning, killQuietly, processStartTime } from './proc-info.js';

/** A leftover child that {@link reapOrphans} killed. */
export interface ReapedProcess {
  /** The killed child's pid. */
  readonly pid: number;
  /** The command it was started with. */
  readonly command: string;
  /** The pid of the dead test process that had started it. */
  readonly ownerPid: number;
}

/**
 * Kills children left behind by test processes that died without cleaning up (SIGKILL, OOM), using
 * the pid files under `os.tmpdir()/aigw-testkit-<pid>`. A child is killed only when its pid *and*
 * its recorded start time still match (read from `/proc`, so only on Linux); elsewhere the stale
 * pid files are just deleted. `spawnManaged()` runs this once per process before its first spawn.
 */
export async function reapOrphans(): Promise<ReapedProcess[]> {
  const root = tmpdir();
  const names = (await readdir(root)).filter((name) => pidDirPattern.test(name));
  const reaped = await Promise.all(names.map(async (name) => reapDir(join(root, name))));
  return reaped.flat();
}

async function reapDir(dir: string): Promise<ReapedProcess[]> {
  const owner = await readRecord(join(dir, ownerFileName));
  // No owner file: not ours (or half-written); leave it alone.
  if (owner === undefined || owner.pid === process.pid || isOwnerAlive(owner)) {
    return [];
  }
  const children = await childRecords(dir);
  const reaped: ReapedProcess[] = [];
  for (const child of children.filter(isSameProcessRunning)) {
    killQuietly(child.pid, 'SIGKILL');
    reaped.push({ pid: child.pid, command: child.command, ownerPid: owner.pid });
  }
  await rm(dir, { recursive: true, force: true });
  return reaped;
}

async function childRecords(dir: string): Promise<PidRecord[]> {
  const files = (await readdir(dir)).filter((name) => /^\d+\.json$/.test(name));
  const records = await Promise.all(files.map(async (name) => readRecord(join(dir, name))));
  return records.filter((record) => record !== undefined);
}

function isOwnerAlive(owner: PidRecord): boolean {
  if (!isProcessRunning(owner.pid)) {
    return false;
  }
  // Without a recorded start time (off Linux) a running pid is taken as the live owner.
  return owner.startTime === undefined || processStartTime(owner.pid) === owner.startTime;
}

function isSameProcessRunning(record: PidRecord): boolean {
  // Never kill on a bare pid match: the pid may belong to an unrelated process by now.
  return (
    record.startTime !== undefined &&
    isProcessRunning(record.pid) &&
    processStartTime(record.pid) === record.startTime
  );
}

async function readRecord(file: string): Promise<PidRecord | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return isPidRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isPidRecord(value: unknown): value is PidRecord {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const record = value as Record<string, unknown>;
  const hasStartTime = record['startTime'] === undefined || typeof record['startTime'] === 'string';
  return typeof record['pid'] === 'number' && typeof record['command'] === 'string' && hasStartTime;
}
