/** Resident memory of child processes, from `/proc/<pid>/status` (Linux). */
import { readFileSync } from 'node:fs';

/** A process's resident set size in MiB (`VmRSS`), or `undefined` off Linux or once it is gone. */
export function rssMb(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/**
 * Samples the RSS of some processes every `intervalMs` into the phase currently set, so a run can
 * report each phase's maximum (e.g. "under load") next to single readings (idle, after load).
 */
export class RssSampler {
  readonly #pids: Readonly<Record<string, number>>;
  readonly #max = new Map<string, number>();
  #phase = 'idle';
  #timer: NodeJS.Timeout | undefined;

  constructor(pids: Readonly<Record<string, number>>, intervalMs = 100) {
    this.#pids = pids;
    this.#timer = setInterval(() => {
      this.sample();
    }, intervalMs);
    this.#timer.unref();
  }

  /** Samples every process now (also done on every tick). */
  sample(): void {
    for (const [role, pid] of Object.entries(this.#pids)) {
      const mb = rssMb(pid);
      if (mb === undefined) continue;
      const key = `${role}:${this.#phase}`;
      this.#max.set(key, Math.max(this.#max.get(key) ?? 0, mb));
    }
  }

  /** Starts attributing samples to `phase` (after one last sample of the previous phase). */
  phase(phase: string): void {
    this.sample();
    this.#phase = phase;
    this.sample();
  }

  /** The highest RSS of `role` seen during `phase` (MiB), NaN if never sampled. */
  max(role: string, phase: string): number {
    return this.#max.get(`${role}:${phase}`) ?? Number.NaN;
  }

  /** The highest RSS of `role` over every phase (MiB). */
  peak(role: string): number {
    let peak = Number.NaN;
    for (const [key, mb] of this.#max)
      if (key.startsWith(`${role}:`)) peak = Number.isNaN(peak) ? mb : Math.max(peak, mb);
    return peak;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
