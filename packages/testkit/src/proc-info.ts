import { readFileSync } from 'node:fs';

/**
 * Reads a process's start time (clock ticks since boot, field 22 of `/proc/<pid>/stat`), which
 * with the pid identifies a process even after the pid is reused. `undefined` off Linux or when
 * the process is gone.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** True when `pid` names a running (not zombie) process we could signal. */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return statFields(pid)?.[0] !== 'Z';
}

/** Sends `signal` to `pid`, ignoring "no such process". */
export function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone (ESRCH) or not ours (EPERM): nothing more we can do.
  }
}

// Fields after the command name, which sits in parentheses and may itself contain spaces:
// index 0 is field 3 (state), index 19 is field 22 (starttime).
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(' ');
}
