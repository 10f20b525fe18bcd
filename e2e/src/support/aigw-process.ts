import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  findRepoRoot,
  getFreePort,
  spawnManaged,
  tempDir,
  type ExitStatus,
  type ManagedProcess,
} from '@aigw/testkit';

const root =
  findRepoRoot() ??
  ((): never => {
    throw new Error('run the e2e tests inside the repository');
  })();

/** The built CLI the tests run, as a user does after `scripts/aigw` built it. */
export const aigwBin = join(root, 'apps', 'aigw', 'dist', 'bin.js');

let built = false;

/**
 * Makes sure `apps/aigw` and the apps it starts (`extproc`, `ratelimit`) are built: the tests run
 * the real `dist/bin.js` files, as `scripts/aigw` does. `scripts/test.sh` builds everything
 * before the tests; this covers `vitest` run on its own (turbo-cached, so cheap when up to date).
 */
export function ensureBuilt(): void {
  if (built) return;
  const bins = ['aigw', 'extproc', 'ratelimit'].map((app) =>
    join(root, 'apps', app, 'dist', 'bin.js'),
  );
  if (!bins.every((bin) => existsSync(bin))) {
    const result = spawnSync(
      'pnpm',
      ['exec', 'turbo', 'run', 'build', '--filter=@aigw/aigw...', '--output-logs=errors-only'],
      { cwd: root, stdio: 'inherit', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
    );
    if (result.status !== 0) throw new Error('building @aigw/aigw failed');
  }
  built = true;
}

/** A process seen in /proc. */
export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly cmdline: string;
}

/** Every process whose parent is `ppid` (Linux /proc). */
export function childrenOf(ppid: number): ProcInfo[] {
  return allProcesses().filter((proc) => proc.ppid === ppid);
}

/** Whether `pid` is alive (and not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function allProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.push({ pid: Number(name), ppid: Number(fields[1]), cmdline });
    } catch {
      // Gone while we looked.
    }
  }
  return out;
}

/** The working directory of `pid` (aigw starts its children in the state directory). */
export function cwdOf(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${String(pid)}/cwd`);
  } catch {
    return undefined;
  }
}

/** Options of {@link startAigw} and {@link runAigw}. */
export interface AigwOptions {
  /** Arguments after `aigw run` (files and flags; `--port`/`--admin-port` are added). */
  readonly args?: readonly string[];
  /** Environment overrides (the test process's environment is inherited). */
  readonly env?: Readonly<Record<string, string>>;
  /** Name in logs (default `aigw`). */
  readonly name?: string;
  /**
   * Run aigw as the leader of its own session and process group (through `setsid`), as a shell
   * runs a foreground command, so a test can signal the whole group like a terminal's Ctrl-C.
   */
  readonly ownProcessGroup?: boolean;
}

/** A running `aigw run`. */
export interface RunningAigw {
  readonly process: ManagedProcess;
  readonly pid: number;
  readonly port: number;
  readonly adminPort: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The TMPDIR aigw was given: its state directory is created inside. */
  readonly tmpDir: string;
  /** Everything aigw printed so far (stdout and stderr). */
  output(): string;
  /** The `aigw-run-*` state directories inside {@link tmpDir}. */
  stateDirs(): string[];
  /** Sends `signal` and waits for aigw to exit. */
  signal(signal: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** Waits for aigw to exit on its own. */
  exited(timeoutMs?: number): Promise<ExitStatus>;
  stop(): Promise<void>;
}

/** Starts `aigw run` on free ports and waits for its ready banner. */
export async function startAigw(options: AigwOptions = {}): Promise<RunningAigw> {
  ensureBuilt();
  const [port, adminPort] = [await getFreePort(), await getFreePort()];
  const tmp = tempDir('aigw-run-e2e');
  const command = [
    process.execPath,
    aigwBin,
    'run',
    ...(options.args ?? []),
    ...['--port', String(port), '--admin-port', String(adminPort)],
  ];
  // setsid(1) calls setsid() and execs (same pid) when it is not a group leader already.
  const [file, ...args] = options.ownProcessGroup ? ['setsid', ...command] : command;
  const proc = await spawnManaged(file!, args, {
    name: options.name ?? 'aigw',
    cwd: root,
    env: { TMPDIR: tmp, ...options.env },
    stopGraceMs: 15_000,
  });
  await proc.untilReady(() => proc.logs().includes('aigw is ready'), {
    timeoutMs: 60_000,
    intervalMs: 100,
    description: 'the aigw run banner',
  });
  return {
    process: proc,
    pid: proc.pid,
    port,
    adminPort,
    url: `http://127.0.0.1:${String(port)}`,
    tmpDir: tmp,
    output: () => proc.logs(),
    stateDirs: () => readdirSync(tmp).filter((name) => name.startsWith('aigw-run-')),
    signal: (signal, timeoutMs) => {
      process.kill(proc.pid, signal);
      return exitWithin(proc, timeoutMs);
    },
    exited: (timeoutMs) => exitWithin(proc, timeoutMs),
    stop: () => proc.stop(),
  };
}

function exitWithin(proc: ManagedProcess, timeoutMs = 20_000): Promise<ExitStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`aigw did not exit within ${String(timeoutMs)} ms`));
    }, timeoutMs);
  });
  return Promise.race([proc.exited, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/** Runs `aigw <args>` to completion (for commands that should fail fast). */
export async function runAigw(
  args: readonly string[],
  options: { env?: Readonly<Record<string, string>>; timeoutMs?: number } = {},
): Promise<{ status: ExitStatus; output: string }> {
  ensureBuilt();
  const proc = await spawnManaged(process.execPath, [aigwBin, ...args], {
    name: 'aigw',
    cwd: root,
    env: { TMPDIR: tempDir('aigw-cli-e2e'), ...options.env },
  });
  const status = await exitWithin(proc, options.timeoutMs ?? 30_000).finally(() => proc.stop());
  return { status, output: proc.logs() };
}

/** Whether the gateway's Envoy has an endpoint with this `hostname` (admin `/clusters`). */
export async function sendsEndpointHostname(aigw: RunningAigw, hostname: string): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${String(aigw.adminPort)}/clusters`);
  return (await response.text()).includes(`::hostname::${hostname}`);
}
