import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { LinePrefixer } from './line-prefixer.js';
import { withParentDeathSignal } from './parent-death-signal.js';

/** How a child ended: exactly one of `code` and `signal` is non-null. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What to start. */
export interface ChildSpec {
  /** Short name, also the output prefix: `envoy` → `[envoy] …`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Receives the child's stdout and stderr, prefixed, one or more whole lines at a time. */
  readonly output: (text: string) => void;
}

/** A running child process owned by `aigw run`. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Settles once the child has exited and its output is flushed. */
  readonly exited: Promise<ExitStatus>;
  /** True until the child has exited. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. Idempotent. */
  stop(graceMs: number): Promise<ExitStatus>;
  /** SIGKILL now (a second Ctrl-C). */
  kill(): void;
}

/** `code 1` or `signal SIGKILL`. */
export function describeExit(status: ExitStatus): string {
  return status.signal === null ? `code ${String(status.code)}` : `signal ${status.signal}`;
}

/**
 * Starts a child that cannot outlive `aigw`: on Linux it runs under `setpriv --pdeathsig SIGKILL`
 * (the kernel kills it when aigw dies, even by SIGKILL). It gets its own session and process
 * group, so a Ctrl-C in the terminal (SIGINT to the foreground group) reaches only aigw, which
 * then stops the children in order — Envoy first — instead of every process racing to exit. Its
 * output is streamed line by line with the prefix.
 *
 * @throws Error when `command` (an absolute path) is not executable or cannot be started.
 */
export async function startChild(spec: ChildSpec): Promise<Child> {
  // Behind the setpriv wrapper a missing program would only be an exit code: check first.
  accessSync(spec.command, constants.X_OK);
  const line = withParentDeathSignal(spec.command, spec.args);
  const child = spawn(line.file, line.args, {
    ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = watchExit(child, spec);
  await once(child, 'spawn');
  return new RunningChild(spec.name, child, exited);
}

function watchExit(child: ChildProcess, spec: ChildSpec): Promise<ExitStatus> {
  const prefixers = [child.stdout, child.stderr].map((stream) => {
    const prefixer = new LinePrefixer(`[${spec.name}] `, spec.output);
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      prefixer.push(text);
    });
    return prefixer;
  });
  // 'error' without a listener would crash aigw; spawn failures surface through once('spawn').
  child.on('error', () => undefined);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      const finish = (): void => {
        for (const prefixer of prefixers) prefixer.flush();
        resolve({ code, signal });
      };
      // Let the pipes drain so a crashing child's last lines are shown; bounded, because a
      // grandchild holding the pipes would keep them open.
      const timer = setTimeout(finish, 300);
      child.once('close', () => {
        clearTimeout(timer);
        finish();
      });
    });
  });
}

class RunningChild implements Child {
  readonly name: string;
  readonly exited: Promise<ExitStatus>;
  readonly #child: ChildProcess;
  #done = false;
  #stopping: Promise<ExitStatus> | undefined;

  constructor(name: string, child: ChildProcess, exited: Promise<ExitStatus>) {
    this.name = name;
    this.#child = child;
    this.exited = exited.finally(() => {
      this.#done = true;
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  running(): boolean {
    return !this.#done && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  stop(graceMs: number): Promise<ExitStatus> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  kill(): void {
    if (this.running()) this.#child.kill('SIGKILL');
  }

  async #stop(graceMs: number): Promise<ExitStatus> {
    if (!this.running()) return this.exited;
    this.#child.kill('SIGTERM');
    const escalate = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }
}
