import { isConfigError } from './config-error.js';

/** A running service: `close()` stops it gracefully. */
export interface Service {
  close(): Promise<void>;
}

/** What `bin.ts` hands to an app's `main`. */
export interface MainArgs {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** An app's testable entry point: validate config, start listening, return a handle. */
export type ServiceMain = (args: MainArgs) => Promise<Service>;

/** Options of {@link runService}. */
export interface RunServiceOptions extends MainArgs {
  readonly name: string;
  readonly main: ServiceMain;
  /** Upper bound for a graceful stop before the process exits anyway. */
  readonly shutdownTimeoutMs?: number;
  readonly stderr?: NodeJS.WritableStream;
}

/**
 * The body of every app's `bin.ts`: runs `main`, then on SIGTERM or SIGINT closes the service and
 * exits 0. Invalid configuration prints one line and exits 2 before anything listens; any other
 * start-up failure exits 1. A second signal exits at once.
 */
export async function runService(options: RunServiceOptions): Promise<void> {
  const stderr = options.stderr ?? process.stderr;
  let service: Service;
  try {
    service = await options.main({ argv: options.argv, env: options.env });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const prefix = isConfigError(err) ? 'invalid configuration' : 'failed to start';
    stderr.write(`${options.name}: ${prefix}: ${detail}\n`);
    process.exitCode = isConfigError(err) ? 2 : 1;
    return;
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130);
    stopping = true;
    const timer = setTimeout(() => {
      stderr.write(`${options.name}: graceful shutdown timed out after ${signal}\n`);
      process.exit(1);
    }, options.shutdownTimeoutMs ?? 20_000);
    timer.unref();
    service.close().then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      (err: unknown) => {
        stderr.write(`${options.name}: error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
