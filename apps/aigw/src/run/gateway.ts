import { rm } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { endpointsFromEnv } from '@aigw/cloud-credentials';
import type { EndpointLayout, StandaloneConfig, StandaloneOptions } from '@aigw/gateway-config';
import type { Logger } from 'pino';
import { describeExit, type Child } from './child.js';
import {
  clustersActive,
  envoyAndListenerReady,
  extprocPollMs,
  firstExit,
  grpcReady,
  startEnvoy,
  startExtproc,
  startRateLimit,
  type ChildContext,
  type RateLimitStore,
} from './children.js';
import { loadGatewayConfig, watchedPaths, type ConfigSource } from './config-source.js';
import { watchFiles, type FileWatch } from './file-watcher.js';
import { appBin, findEnvoy } from './locate.js';
import { discoverModels, type ModelSource } from './model-discovery.js';
import { OutputWatch } from './output-watch.js';
import { xdsRejections } from './probes.js';
import { checkBindable, freePort } from './ports.js';
import { CredentialRotations, RotationStartError, type CredentialRotation } from './rotation.js';
import {
  createStateDir,
  removeStaleStateDirs,
  StateWriter,
  type ApplyHooks,
  type StatePaths,
} from './state.js';
import { ReadinessError } from './wait-ready.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  readonly source: ConfigSource;
  readonly env: Env;
  readonly listenPort: number;
  readonly adminPort: number;
  readonly store: RateLimitStore;
  /** Where the endpoints are served (`--root-prefix`, `--endpoint-prefixes`); default upstream's. */
  readonly endpoints?: EndpointLayout;
  readonly log: Logger;
  /** Logging of the children: pino level and format (extproc, rate limiter), Envoy's `-l`. */
  readonly childLogLevel: Logger['level'];
  readonly childLogFormat: 'json' | 'pretty';
  readonly envoyLogLevel: string;
  /** Where the children's prefixed output goes. */
  readonly output: (text: string) => void;
  /** Aborts start-up (Ctrl-C while waiting for readiness). */
  readonly signal: AbortSignal;
  /** SIGTERM → SIGKILL grace per child when stopping (default 5 s). */
  readonly stopGraceMs?: number;
  /** Parent of the state directory (default: the OS temp dir). */
  readonly tmpDir?: string;
}

/** `aigw run` could not start; `problems` lists every configuration problem, one per line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [], options?: ErrorOptions) {
    super(message, options);
    this.problems = problems;
  }
}

interface Programs {
  readonly envoy: string;
  readonly extproc: string;
  readonly ratelimit: string;
}

/**
 * Starts the standalone gateway: validates and generates the configuration, writes it into a
 * fresh state directory, starts the extproc, the rate limiter (when the configuration has token
 * limits) and Envoy, and resolves once all of them are ready. On any failure everything started
 * so far is stopped and the state directory removed.
 *
 * @throws StartupError with a message for the user (missing program, bad config, busy port, a
 * child that died during start-up); `ReadinessError` `aborted` when `signal` fired.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  await removeStaleStateDirs(options.tmpDir);
  const paths = await createStateDir(options.tmpDir);
  const gateway = new Gateway(options, { paths });
  try {
    await gateway.start();
    return gateway;
  } catch (err) {
    await gateway.stop(1);
    throw err;
  }
}

function locatePrograms(env: Env): Programs {
  try {
    return { envoy: findEnvoy(env), extproc: appBin('extproc'), ratelimit: appBin('ratelimit') };
  } catch (err) {
    throw new StartupError(err instanceof Error ? err.message : String(err), [], { cause: err });
  }
}

async function checkPorts(options: GatewayOptions): Promise<void> {
  const checks = [
    { host: '0.0.0.0', port: options.listenPort, flag: '--port' },
    { host: '127.0.0.1', port: options.adminPort, flag: '--admin-port' },
  ];
  for (const { host, port, flag } of checks) {
    try {
      await checkBindable(host, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new StartupError(
        `port ${String(port)} cannot be used (${code}): is another gateway running? ` +
          `Choose another with ${flag}.`,
      );
    }
  }
}

/** A running standalone gateway: its children, its state directory and its config reloads. */
export class Gateway {
  /** Settles with the exit code once the gateway has stopped (by {@link stop} or a dead child). */
  readonly finished: Promise<number>;
  readonly paths: StatePaths;
  readonly #options: GatewayOptions;
  #programs: Programs | undefined;
  readonly #writer: StateWriter;
  readonly #children = new Map<string, Child>();
  readonly #context: ChildContext;
  readonly #extprocLog = new OutputWatch();
  #standalone: StandaloneOptions | undefined;
  #config: StandaloneConfig | undefined;
  #inputs = '';
  #notes: readonly string[] = [];
  #watch: FileWatch | undefined;
  #reloading: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  #finish: (code: number) => void = () => undefined;
  /** Cancels the providers' model lists still being asked for when the gateway stops. */
  readonly #discovery = new AbortController();
  /** The rotators of the credentials aigw exchanges (created in start()). */
  #rotations: CredentialRotations | undefined;

  constructor(options: GatewayOptions, setup: { paths: StatePaths }) {
    this.#options = options;
    this.paths = setup.paths;
    this.#writer = new StateWriter(setup.paths);
    this.#context = {
      env: options.env,
      output: options.output,
      logLevel: options.childLogLevel,
      logFormat: options.childLogFormat,
      envoyLogLevel: options.envoyLogLevel,
      stateDir: setup.paths.dir,
    };
    this.finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  /** The configuration in force. */
  get config(): StandaloneConfig | undefined {
    return this.#config;
  }

  /** Hints for the banner (e.g. an API key to set). */
  get notes(): readonly string[] {
    return this.#notes;
  }

  /** Pids of the running children, by name (for diagnostics and tests). */
  childPids(): Record<string, number> {
    return Object.fromEntries([...this.#children].map(([name, child]) => [name, child.pid]));
  }

  /** The rate limiter's description for the banner, when it runs. */
  rateLimitDescription(): string | undefined {
    const port = this.#standalone?.rateLimit?.port;
    if (!this.#children.has('ratelimit') || port === undefined) return undefined;
    const store = this.#options.store.kind === 'redis' ? 'redis' : 'in-memory counters';
    return `127.0.0.1:${String(port)} (${store})`;
  }

  /** @internal Called once by {@link startGateway}. */
  async start(): Promise<void> {
    const options = this.#options;
    this.#standalone = {
      listenPort: options.listenPort,
      adminPort: options.adminPort,
      extprocSocket: this.paths.extprocSocket,
      stateDir: this.paths.dir,
      // Always given: the listener carries the rate-limit filter from the start (a no-op on routes
      // without limits), so an edit that adds the first limit changes only routes and rules — no
      // listener drain — and the limiter is started then.
      rateLimit: { host: '127.0.0.1', port: await freePort() },
      ...(options.endpoints === undefined ? {} : { endpoints: options.endpoints }),
    };
    const loaded = await loadGatewayConfig(options.source, {
      env: options.env,
      options: this.#standalone,
    });
    this.#inputs = loaded.inputs;
    if (!loaded.ok) throw new StartupError('invalid configuration', loaded.problems);
    this.#programs = locatePrograms(options.env);
    await checkPorts(options);
    this.#config = loaded.config;
    this.#notes = [...loaded.warnings, ...loaded.notes];
    for (const warning of loaded.warnings) options.log.warn(warning);
    await this.#startRotations(loaded.config.rotations);
    await this.#writer.writeAll(loaded.config);
    await this.#startChildren(loaded.config);
    this.#discoverModels(loaded.modelSources);
  }

  /**
   * Exchanges the policies' cloud credentials and waits for the first of each, before any child
   * reads the files; they are refreshed from then on.
   *
   * @throws StartupError naming each policy whose credential could not be obtained, and why.
   */
  async #startRotations(rotations: readonly CredentialRotation[]): Promise<void> {
    const { env, log, signal } = this.#options;
    try {
      this.#rotations = new CredentialRotations({
        log: log.child({ component: 'credentials' }),
        exchange: { endpoints: endpointsFromEnv(env) },
      });
      await this.#rotations.sync(rotations, { signal });
    } catch (err) {
      if (err instanceof RotationStartError) {
        throw new StartupError('could not obtain cloud credentials', err.problems, { cause: err });
      }
      if (signal.aborted) {
        throw new ReadinessError('aborted', 'stopped waiting for the cloud credentials', {
          cause: err,
        });
      }
      throw new StartupError(err instanceof Error ? err.message : String(err), [], { cause: err });
    }
  }

  /**
   * The embedded default sends any model to its providers, so `/v1/models` lists what they list:
   * asked once the gateway serves (never delaying it), then applied as a reload. A provider that
   * cannot be asked is left out, with a warning saying why.
   */
  #discoverModels(sources: readonly ModelSource[]): void {
    if (sources.length === 0) return;
    const { log } = this.#options;
    void discoverModels(sources, { signal: this.#discovery.signal }).then(async (found) => {
      if (this.#stopping || this.#standalone === undefined) return;
      for (const problem of found.problems) {
        log.warn(`cannot list the models of ${problem}; /v1/models leaves them out`);
      }
      if (found.models.length === 0) return;
      this.#standalone = { ...this.#standalone, extraModels: found.models };
      await this.reload();
      log.info({ models: found.models.length }, 'models listed from the providers');
    });
  }

  async #startChildren(config: StandaloneConfig): Promise<void> {
    const extproc = await this.#spawn(() =>
      startExtproc(this.#extprocContext(), {
        bin: this.#bins().extproc,
        socket: this.paths.extprocSocket,
        config: this.paths.filterConfig,
        ...(this.#options.endpoints === undefined ? {} : { endpoints: this.#options.endpoints }),
      }),
    );
    const ratelimit = config.needsRateLimit ? await this.#spawnRateLimit() : undefined;
    const envoy = await this.#spawn(() =>
      startEnvoy(this.#context, { bin: this.#bins().envoy, bootstrap: this.paths.bootstrap }),
    );
    const ready = {
      anyExit: firstExit([...this.#children.values()]),
      signal: this.#options.signal,
    };
    // The services first: the listener probe goes through the extproc.
    await Promise.all([
      grpcReady(`unix:${this.paths.extprocSocket}`, 'the extproc', ready),
      ratelimit === undefined ? undefined : this.#rateLimitReady(ready),
    ]);
    await envoyAndListenerReady(
      { admin: this.#options.adminPort, listen: this.#options.listenPort },
      ready,
    );
    if ((await xdsRejections(this.#options.adminPort)) > 0) {
      throw new StartupError(
        'envoy rejected the generated configuration (see the [envoy] lines above), ' +
          'e.g. a regular expression it does not accept',
      );
    }
    for (const child of [extproc, ratelimit, envoy]) if (child) this.#monitor(child);
  }

  #bins(): Programs {
    if (this.#programs === undefined) throw new Error('programs are located in start()');
    return this.#programs;
  }

  /** The extproc's output also goes to the waiters for its "config loaded" lines. */
  #extprocContext(): ChildContext {
    return {
      ...this.#context,
      output: (text) => {
        this.#extprocLog.see(text);
        this.#context.output(text);
      },
    };
  }

  /**
   * Until the extproc has loaded the filter config with `uuid` (it logs the uuid at info level);
   * at quieter log levels, two of its poll intervals.
   */
  async #extprocLoaded(uuid: string): Promise<void> {
    if (!['trace', 'debug', 'info'].includes(this.#options.childLogLevel)) {
      await delay(2 * extprocPollMs + 100);
      return;
    }
    if (!(await this.#extprocLog.waitFor(uuid, 3_000))) {
      this.#options.log.warn(
        { uuid },
        'the extproc has not loaded the new filter config after 3 s',
      );
    }
  }

  #spawnRateLimit(): Promise<Child> {
    const port = this.#standalone?.rateLimit?.port ?? 0;
    return this.#spawn(() =>
      startRateLimit(this.#context, {
        bin: this.#bins().ratelimit,
        port,
        rulesDir: this.paths.rulesDir,
        store: this.#options.store,
      }),
    );
  }

  #rateLimitReady(ready: { anyExit: Promise<string>; signal: AbortSignal }): Promise<void> {
    const port = this.#standalone?.rateLimit?.port ?? 0;
    return grpcReady(`127.0.0.1:${String(port)}`, 'the rate limiter', ready);
  }

  async #spawn(start: () => Promise<Child>): Promise<Child> {
    let child: Child;
    try {
      child = await start();
    } catch (err) {
      throw new StartupError(`could not start a child process: ${String(err)}`, [], { cause: err });
    }
    this.#children.set(child.name, child);
    return child;
  }

  /** Logs an unexpected exit and stops the whole gateway with exit code 1. */
  #monitor(child: Child): void {
    void child.exited.then((status) => {
      if (this.#stopping) return;
      this.#options.log.error(
        `${child.name} (pid ${String(child.pid)}) exited unexpectedly with ${describeExit(status)}; stopping the gateway`,
      );
      void this.stop(1);
    });
  }

  /** Watches the input files and reloads on change (nothing to watch for the embedded default). */
  watch(): void {
    const paths = watchedPaths(this.#options.source);
    if (paths.length === 0 || this.#watch) return;
    this.#watch = watchFiles(paths, {
      onChange: () => {
        void this.reload();
      },
    });
  }

  /**
   * Re-reads the configuration. Invalid → the problems are logged and the running configuration
   * stays. Valid → the changed files are rewritten (clusters first; the extproc's config once
   * Envoy has the clusters) and "config reloaded" is logged. Reloads run one at a time.
   */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(() =>
      this.#reload().catch((err: unknown) => {
        // A reload cut short by a shutdown (its files removed) is not worth a word.
        if (this.#stopping) return;
        this.#options.log.error({ err }, 'config reload failed; the running config stays');
      }),
    );
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    const standalone = this.#standalone;
    if (this.#stopping || standalone === undefined) return;
    const { log } = this.#options;
    const loaded = await loadGatewayConfig(this.#options.source, {
      env: this.#options.env,
      options: standalone,
    });
    if (loaded.inputs === this.#inputs) return;
    this.#inputs = loaded.inputs;
    if (!loaded.ok) {
      log.error(
        `invalid configuration, keeping the running one:\n  ${loaded.problems.join('\n  ')}`,
      );
      return;
    }
    for (const warning of loaded.warnings) log.warn(warning);
    this.#warnAboutRestart(loaded.config);
    if (!(await this.#syncRotations(loaded.config.rotations))) {
      // Saving the same content again retries (e.g. once the token service is back).
      this.#inputs = '';
      return;
    }
    const previous = this.#config;
    const rejectedBefore = await xdsRejections(this.#options.adminPort);
    const written = await this.#writer.apply(loaded.config, this.#applyHooks());
    if (previous && (await this.#envoyRejected(rejectedBefore))) {
      log.error(
        'envoy rejected the new configuration (see the [envoy] lines above); restoring the previous one',
      );
      await this.#syncRotations(previous.rotations);
      await this.#writer.apply(previous, this.#applyHooks());
      return;
    }
    this.#config = loaded.config;
    if (loaded.config.needsRateLimit && !this.#children.has('ratelimit')) {
      await this.#lateRateLimit();
    }
    log.info(
      { routes: loaded.config.summary.routes.length, files: written.length },
      'config reloaded',
    );
  }

  /**
   * Starts and stops rotators for a reload; false (logged, nothing changed) when a new policy's
   * first credential cannot be obtained.
   */
  async #syncRotations(rotations: readonly CredentialRotation[]): Promise<boolean> {
    try {
      await this.#rotations?.sync(rotations);
      return true;
    } catch (err) {
      if (!(err instanceof RotationStartError)) throw err;
      this.#options.log.error(
        `cannot obtain cloud credentials, keeping the running configuration:\n  ${err.problems.join('\n  ')}`,
      );
      return false;
    }
  }

  #applyHooks(): ApplyHooks {
    const { adminPort } = this.#options;
    return {
      filterConfigLoaded: (uuid) => this.#extprocLoaded(uuid),
      afterClusters: async (names) => {
        if (!(await clustersActive(adminPort, names, 2_000))) {
          this.#options.log.warn(
            { clusters: names },
            'envoy has not applied the new clusters after 2 s',
          );
        }
      },
    };
  }

  /**
   * Whether Envoy rejected an xDS file since the count was `before` (it keeps serving the previous
   * resources of that file, logging why). Envoy reads a file as soon as it is renamed into place;
   * a short pause covers the last one.
   */
  async #envoyRejected(before: number): Promise<boolean> {
    await delay(150);
    return (await xdsRejections(this.#options.adminPort)) > before;
  }

  /** The bootstrap is read once by Envoy: a change to it needs a restart. */
  #warnAboutRestart(next: StandaloneConfig): void {
    if (this.#config && !isDeepStrictEqual(this.#config.bootstrap, next.bootstrap)) {
      this.#options.log.warn(
        'the change touches the Envoy bootstrap (static clusters, admin, runtime): restart aigw run to apply that part',
      );
    }
  }

  /** A reload added token limits: start the rate limiter now. */
  async #lateRateLimit(): Promise<void> {
    const child = await this.#spawnRateLimit();
    const signal = AbortSignal.timeout(30_000);
    await this.#rateLimitReady({ anyExit: firstExit([child]), signal });
    this.#monitor(child);
    this.#options.log.info('rate limiter started');
  }

  /**
   * Stops everything: the file watch, then Envoy (so no new request reaches the others), then the
   * extproc and the rate limiter (SIGTERM, SIGKILL after the grace period), and removes the state
   * directory. Idempotent; {@link finished} settles with `code`.
   */
  stop(code: number): Promise<void> {
    this.#stopping ??= this.#stop(code);
    return this.#stopping;
  }

  async #stop(code: number): Promise<void> {
    this.#watch?.close();
    this.#discovery.abort();
    await this.#rotations?.stop();
    const grace = this.#options.stopGraceMs ?? 5_000;
    const envoy = this.#children.get('envoy');
    if (envoy) await envoy.stop(grace);
    await Promise.all([...this.#children.values()].map((child) => child.stop(grace)));
    await rm(this.paths.dir, { recursive: true, force: true });
    this.#finish(code);
  }

  /** Immediately SIGKILLs every child (a second Ctrl-C). */
  kill(): void {
    for (const child of this.#children.values()) child.kill();
  }
}
