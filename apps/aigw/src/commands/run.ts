import { joinPath } from '@aigw/gateway-config';
import { createLogger, type Logger } from '@aigw/service-kit';
import { loadRunConfig, type RunConfig } from '../config.js';
import type { Cli } from '../main.js';
import { formatBanner } from '../run/banner.js';
import { configSource, type ConfigSource } from '../run/config-source.js';
import { startGateway, StartupError, type Gateway } from '../run/gateway.js';
import { ReadinessError } from '../run/wait-ready.js';
import { usage } from './help.js';

/** pino level → Envoy `-l` level. Envoy's info lines are start-up noise for a CLI user. */
const envoyLevels: Record<RunConfig['logLevel'], string> = {
  trace: 'trace',
  debug: 'debug',
  info: 'warning',
  warn: 'warning',
  error: 'error',
  fatal: 'critical',
  silent: 'off',
};

/**
 * `aigw run [files…]`: the standalone gateway. Starts Envoy, the extproc and (for token limits)
 * the rate limiter as children, prints one screen once they are ready, applies edits of the files
 * live, and stops everything on SIGINT/SIGTERM (exit 0) or when a child dies (exit 1).
 */
export async function run(argv: readonly string[], cli: Cli): Promise<number> {
  const { config, positionals } = loadRunConfig(argv, cli.env);
  if (config.help) {
    cli.stdout.write(usage.run);
    return 0;
  }
  const level = config.debug ? 'debug' : config.logLevel;
  const log = createLogger({
    name: 'aigw',
    level,
    format: config.logFormat,
    destination: cli.stderr,
  });
  const source = configSource(positionals);
  const signals = new SignalState();
  try {
    const gateway = await startOrExplain({ config, source, level, log, cli, signals });
    if (gateway === undefined) return signals.received ? 0 : 1;
    signals.onStop = () => {
      log.info('stopping');
      void gateway.stop(0);
    };
    signals.onForce = () => {
      log.warn('second signal: killing the children');
      gateway.kill();
    };
    if (signals.received) void gateway.stop(0);
    cli.stdout.write(banner(gateway, { config, source }));
    gateway.watch();
    return await gateway.finished;
  } finally {
    signals.dispose();
  }
}

async function startOrExplain(context: {
  config: RunConfig;
  source: ConfigSource;
  level: RunConfig['logLevel'];
  log: Logger;
  cli: Cli;
  signals: SignalState;
}): Promise<Gateway | undefined> {
  const { config, cli } = context;
  try {
    return await startGateway({
      source: context.source,
      env: cli.env,
      listenPort: config.port,
      adminPort: config.adminPort,
      endpoints: { rootPrefix: config.rootPrefix, prefixes: config.endpointPrefixes },
      store:
        config.redisUrl === undefined
          ? { kind: 'memory' }
          : { kind: 'redis', url: config.redisUrl },
      log: context.log,
      childLogLevel: context.level,
      childLogFormat: config.logFormat,
      envoyLogLevel: envoyLevels[context.level],
      output: (text) => cli.stderr.write(text),
      signal: context.signals.abort.signal,
    });
  } catch (err) {
    if (err instanceof ReadinessError && err.code === 'aborted') return undefined;
    if (!(err instanceof StartupError || err instanceof ReadinessError)) throw err;
    cli.stderr.write(`aigw run: ${err.message}\n`);
    if (err instanceof StartupError) {
      for (const problem of err.problems) cli.stderr.write(`  ${problem}\n`);
    }
    return undefined;
  }
}

function banner(gateway: Gateway, context: { config: RunConfig; source: ConfigSource }): string {
  const summary = gateway.config?.summary;
  // The OpenAI-compatible base: the root prefix joined with the openai prefix (`/ai` → `…/ai`).
  const base = joinPath(context.config.rootPrefix, context.config.endpointPrefixes.openai);
  return formatBanner({
    address:
      (summary?.address ?? `http://localhost:${String(context.config.port)}`) +
      (base === '/' ? '' : base),
    routes: summary?.routes ?? [],
    files: context.source.kind === 'files' ? context.source.paths : [],
    adminPort: context.config.adminPort,
    rateLimit: gateway.rateLimitDescription(),
    notes: gateway.notes,
  });
}

/** Ctrl-C, `kill`, and the terminal going away. */
const stopSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * SIGINT/SIGTERM/SIGHUP handling: the first signal aborts start-up or stops the gateway; a second one
 * kills the children at once.
 */
class SignalState {
  readonly abort = new AbortController();
  received = false;
  onStop: (() => void) | undefined;
  onForce: (() => void) | undefined;
  readonly #handler = (): void => {
    if (this.received) {
      this.onForce?.();
      return;
    }
    this.received = true;
    this.abort.abort();
    this.onStop?.();
  };

  constructor() {
    for (const signal of stopSignals) process.on(signal, this.#handler);
  }

  dispose(): void {
    for (const signal of stopSignals) process.off(signal, this.#handler);
  }
}
