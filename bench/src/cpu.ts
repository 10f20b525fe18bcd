import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!(ticksPerSecond > 0)) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system, all threads) a process has used so far, in milliseconds, from
 * `/proc/<pid>/stat` (10 ms resolution with the usual 100 Hz clock: fine over seconds of load).
 * `undefined` off Linux or once the process is gone.
 */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name: [0] is field 3, so utime (14) is [11], stime [12].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / clockTicks() : undefined;
}

/** This process's own CPU time so far, in milliseconds (microsecond resolution). */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** The processes whose CPU time a phase accounts for, by role. */
export type CpuRoles = Readonly<Record<string, number | 'self'>>;

/** Takes a CPU-time snapshot of every role; call the result to get the milliseconds used since. */
export function cpuMeter(roles: CpuRoles): () => Record<string, number> {
  const read = (pid: number | 'self'): number =>
    pid === 'self' ? ownCpuMs() : (processCpuMs(pid) ?? 0);
  const before = Object.fromEntries(Object.entries(roles).map(([role, pid]) => [role, read(pid)]));
  return () =>
    Object.fromEntries(
      Object.entries(roles).map(([role, pid]) => [role, read(pid) - (before[role] ?? 0)]),
    );
}
