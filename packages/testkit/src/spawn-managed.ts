import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

import { childEnv, testkitEnv } from './config.js';
import { TestkitError } from './errors.js';
import { LogBuffer } from './log-buffer.js';
import { withParentDeathSignal } from './parent-death-signal.js';
import { forgetPid, recordPid } from './pid-files.js';
import { reapOrphans } from './reap-orphans.js';
import { register, unregister, type ManagedResource } from './registry.js';
import { waitFor, type ProbeResult, type WaitForOptions } from './wait-for.js';
import { which } from './which.js';

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  /** Name used in log dumps and error messages, e.g. `'envoy'`. */
  readonly name: string;
  /** Variables added to (or overriding) this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Working directory of the child. */
  readonly cwd?: string;
  /** Characters of combined stdout/stderr to keep (default 512 Ki). */
  readonly logLimit?: number;
  /** Time between SIGTERM and SIGKILL when stopping (default 5 s). */
  readonly stopGraceMs?: number;
  /** Runs after the child has exited during `stop()`, e.g. to remove its temp dir. */
  readonly onStopped?: () => Promise<void>;
}

/** How a child process ended: exactly one of `code` and `signal` is non-null. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Readiness check for {@link ManagedProcess.untilReady}: `true` when ready; may throw while not. */
export type ReadyProbe = () => ProbeResult<true> | Promise<ProbeResult<true>>;

/** Options for {@link ManagedProcess.untilReady}. */
export type ReadyOptions = Omit<WaitForOptions, 'signal'>;

/** A child process owned by the harness: its output is kept, and it is killed on cleanup. */
export interface ManagedProcess extends ManagedResource {
  /** The child's pid. */
  readonly pid: number;
  /** Settles when the child has exited and its output streams are closed. */
  readonly exited: Promise<ExitStatus>;
  /** How the child ended, or `undefined` while it runs. */
  exitStatus(): ExitStatus | undefined;
  /** The last `lines` lines of output (default 40). */
  logTail(lines?: number): string;
  /**
   * Polls `probe` until it succeeds. If the child exits first or the timeout passes, the child is
   * stopped and the promise rejects with a message that includes the tail of its logs.
   */
  untilReady(probe: ReadyProbe, options: ReadyOptions): Promise<void>;
}

const defaultTailLines = 40;
// After 'exit', how long to wait for the output pipes to drain ('close'). Bounded because a
// grandchild that inherited the pipes (e.g. `sh -c 'x; sleep 30'`) would hold them open.
const drainMs = 500;
let reaping: Promise<unknown> | undefined;

/**
 * Starts `command` as a child (never detached, and on Linux tied to this process by a parent-death
 * signal), records its combined stdout/stderr in a bounded buffer, writes a pid file for
 * `reapOrphans()` and registers it for `stopAll()` and the exit hooks.
 *
 * @throws TestkitError `spawn-failed` when the program cannot be started at all.
 */
export async function spawnManaged(
  command: string,
  args: readonly string[],
  options: SpawnManagedOptions,
): Promise<ManagedProcess> {
  reaping ??= reapOrphans().catch(() => undefined);
  await reaping;
  // Checked up front because behind the setpriv wrapper a missing program is only an exit code.
  const resolved = which(command);
  if (resolved === undefined) {
    throw new TestkitError(
      'spawn-failed',
      `cannot start ${options.name}: ${command} is not an executable on PATH`,
    );
  }
  const line = withParentDeathSignal(resolved, args);
  const child = spawn(line.file, line.args, {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: false,
  });
  const managed = new ManagedChild(child, options);
  try {
    await once(child, 'spawn');
  } catch (err) {
    throw new TestkitError(
      'spawn-failed',
      `could not start ${options.name} (${command}): ${String(err)}`,
      {
        cause: err,
      },
    );
  }
  managed.track(command);
  return managed;
}

class ManagedChild implements ManagedProcess {
  readonly name: string;
  readonly exited: Promise<ExitStatus>;
  readonly #child: ChildProcess;
  readonly #options: SpawnManagedOptions;
  readonly #logs: LogBuffer;
  #status: ExitStatus | undefined;
  #stopping: Promise<void> | undefined;

  constructor(child: ChildProcess, options: SpawnManagedOptions) {
    this.name = options.name;
    this.#child = child;
    this.#options = options;
    this.#logs = new LogBuffer(options.logLimit);
    captureOutput(child, { name: this.name, sink: this.#logs });
    // Without a listener an 'error' (e.g. a failed kill) would crash the test process.
    child.on('error', (err) => {
      this.#logs.append(`[testkit] ${this.name}: ${err.message}\n`);
    });
    this.exited = this.#waitForExit();
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Registers the running child for cleanup; called once it has spawned. */
  track(command: string): void {
    recordPid(this.pid, command);
    register(this);
  }

  exitStatus(): ExitStatus | undefined {
    return this.#status;
  }

  logs(): string {
    return this.#logs.text();
  }

  logTail(lines: number = defaultTailLines): string {
    return this.#logs.tail(lines);
  }

  async untilReady(probe: ReadyProbe, options: ReadyOptions): Promise<void> {
    const controller = new AbortController();
    const ready = waitFor(probe, { ...options, signal: controller.signal }).then(
      () => ({ kind: 'ready' }) as const,
      (error: unknown) => ({ kind: 'failed', error }) as const,
    );
    const exited = this.exited.then((status) => ({ kind: 'exited', status }) as const);
    const outcome = await Promise.race([ready, exited]);
    controller.abort();
    if (outcome.kind === 'ready') {
      return;
    }
    await this.stop();
    throw outcome.kind === 'exited'
      ? this.#startupError(
          'process-exited',
          `exited with ${describeExit(outcome.status)}`,
          undefined,
        )
      : this.#startupError('timeout', errorMessage(outcome.error), outcome.error);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  killSync(): void {
    if (this.#status === undefined) {
      this.#child.kill('SIGKILL');
    }
  }

  #waitForExit(): Promise<ExitStatus> {
    return new Promise((resolve) => {
      let status: ExitStatus | undefined;
      let drain: NodeJS.Timeout | undefined;
      const finish = (): void => {
        if (status === undefined || this.#status !== undefined) {
          return;
        }
        clearTimeout(drain);
        this.#status = status;
        this.#logs.append(`[testkit] ${this.name} exited with ${describeExit(status)}\n`);
        resolve(status);
      };
      this.#child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        status = { code, signal };
        // Let the pipes drain ('close') so the last lines a crashing child printed are kept.
        drain = setTimeout(finish, drainMs);
      });
      this.#child.once('close', finish);
    });
  }

  async #stop(): Promise<void> {
    if (this.#status === undefined) {
      this.#child.kill('SIGTERM');
      const escalate = setTimeout(
        () => this.#child.kill('SIGKILL'),
        this.#options.stopGraceMs ?? 5_000,
      );
      await this.exited;
      clearTimeout(escalate);
    }
    forgetPid(this.pid);
    unregister(this);
    await this.#options.onStopped?.();
  }

  #startupError(code: 'process-exited' | 'timeout', what: string, cause: unknown): TestkitError {
    const message = `${this.name} (pid ${String(this.pid)}) ${what} before it was ready. Last log lines:\n${this.logTail()}`;
    return new TestkitError(code, message, cause === undefined ? {} : { cause });
  }
}

function captureOutput(child: ChildProcess, target: { name: string; sink: LogBuffer }): void {
  const mirror = testkitEnv().isVerbose ? prefixLines(target.name) : undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      target.sink.append(text);
      mirror?.(text);
    });
  }
}

function prefixLines(name: string): (text: string) => void {
  return (text) => {
    process.stderr.write(text.replace(/^(?=.)/gm, `[${name}] `));
  };
}

function describeExit(status: ExitStatus): string {
  return status.signal === null ? `code ${String(status.code)}` : `signal ${status.signal}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
