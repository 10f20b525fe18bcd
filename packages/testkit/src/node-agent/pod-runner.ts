import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { childEnv } from '../config.js';
import { isTestkitError } from '../errors.js';
import { spawnManaged, type ExitStatus, type ManagedProcess } from '../spawn-managed.js';
import { which } from '../which.js';
import { programFor, type ImageRule } from './images.js';
import { KubeApiError, type KubeClient } from './kube-client.js';
import { planLaunch, type LaunchPlan } from './launch.js';
import { mountNamespaceScript, type BindMount } from './mount-namespace.js';
import { probeOnce, Prober } from './probes.js';
import type { Container, Pod, Probe } from './types.js';
import { PodVolumes, serviceAccountMountPath } from './volumes.js';

/** Settings every {@link PodRunner} of one agent shares. */
export interface PodRunnerOptions {
  readonly client: KubeClient;
  readonly caPem: string;
  /** The API server as pods see it (`KUBERNETES_SERVICE_HOST` / `_PORT`). */
  readonly apiServer: { readonly host: string; readonly port: string };
  /** Where pod directories go (`<root>/<namespace>_<name>_<uid>`). */
  readonly rootDir: string;
  readonly images: readonly ImageRule[];
  readonly probePeriodCapMs: number;
  readonly restartBackoff: { readonly initialMs: number; readonly maxMs: number };
  /** The IP every pod and the node report (`status.podIP`, the downward API). */
  readonly podIp: string;
  /**
   * Run each container in a private mount namespace with its volumes at their `mountPath`s and
   * this `/etc/hosts` (see mount-namespace.ts); undefined: plain processes, paths rewritten only.
   */
  readonly mountNamespace: { hosts(namespace: string): Promise<string> } | undefined;
}

type State =
  | { readonly waiting: { readonly reason: string; readonly message?: string } }
  | { readonly running: { readonly startedAt: string } }
  | {
      readonly terminated: {
        readonly exitCode: number;
        readonly signal?: number;
        readonly reason: string;
        readonly startedAt: string;
        readonly finishedAt: string;
      };
    };

interface ContainerRun {
  readonly spec: Container;
  readonly kind: 'init' | 'sidecar' | 'main';
  proc: ManagedProcess | undefined;
  plan: LaunchPlan | undefined;
  state: State;
  lastState: State | undefined;
  restartCount: number;
  isReady: boolean;
  isStarted: boolean;
  probers: Prober[];
  backoffMs: number;
  restartTimer: NodeJS.Timeout | undefined;
  previousLogs: string;
  startedAt: string;
}

const signals: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGHUP: 1 };

/**
 * Runs one pod as local processes, the way a kubelet would: volumes, init containers in order
 * (native sidecars started and kept), then the containers; probes, restarts with backoff, and
 * the pod's status written back through the status subresource.
 */
export class PodRunner {
  readonly uid: string;
  readonly dir: string;
  readonly #pod: Pod;
  readonly #options: PodRunnerOptions;
  readonly #volumes: PodVolumes;
  readonly #runs: ContainerRun[];
  readonly #conditions = new Map<string, { status: string; lastTransitionTime: string }>();
  #phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' = 'Pending';
  #isVolumesReady = false;
  #isInitialized = false;
  #isStopping = false;
  #isResyncing = false;
  #stopping: Promise<void> | undefined;
  #lastStatus = '';
  #statusWrite: Promise<void> = Promise.resolve();
  #isStatusDirty = false;
  readonly #startTime = now();

  constructor(pod: Pod, options: PodRunnerOptions) {
    this.#pod = pod;
    this.#options = options;
    this.uid = pod.metadata.uid ?? pod.metadata.name;
    const { namespace = 'default', name } = pod.metadata;
    this.dir = join(options.rootDir, `${namespace}_${name}_${this.uid.slice(0, 8)}`);
    this.#volumes = new PodVolumes({
      pod,
      client: options.client,
      dir: this.dir,
      caPem: options.caPem,
      podIp: options.podIp,
    });
    const initRuns = (pod.spec.initContainers ?? []).map((spec) =>
      newRun(spec, spec.restartPolicy === 'Always' ? 'sidecar' : 'init'),
    );
    this.#runs = [...initRuns, ...pod.spec.containers.map((spec) => newRun(spec, 'main'))];
  }

  /** `<namespace>/<name>`. */
  get key(): string {
    return `${this.#pod.metadata.namespace ?? 'default'}/${this.#pod.metadata.name}`;
  }

  /** The container's output: earlier runs' tails, then the current run. */
  logs(container?: string): string {
    const run =
      container === undefined
        ? this.#runs.find((r) => r.kind === 'main')
        : this.#runs.find((r) => r.spec.name === container);
    return run === undefined ? '' : `${run.previousLogs}${run.proc?.logs() ?? ''}`;
  }

  /** Process ids of the running containers, by container name. */
  pids(): Record<string, number> {
    return Object.fromEntries(
      this.#runs.flatMap((r) =>
        r.proc === undefined || r.proc.exitStatus() !== undefined
          ? []
          : [[r.spec.name, r.proc.pid]],
      ),
    );
  }

  /** Starts the pod in the background; progress shows in its status. */
  start(): void {
    void this.#run();
  }

  /** Re-reads Secrets/ConfigMaps into the volumes and refreshes tokens (the kubelet's sync). */
  async resync(): Promise<void> {
    if (!this.#isVolumesReady || this.#isStopping || this.#isResyncing) {
      return;
    }
    this.#isResyncing = true;
    try {
      await this.#volumes.sync(this.#isAutomounted());
    } catch {
      // A Secret deleted or the API unreachable: keep what the volume has, as a kubelet does.
    } finally {
      this.#isResyncing = false;
    }
  }

  /** Stops every container (SIGTERM, then SIGKILL after the grace period) and removes the files. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#isStopping = true;
    for (const run of this.#runs) {
      clearTimeout(run.restartTimer);
      stopProbers(run);
    }
    const byKind = (kind: ContainerRun['kind']): ContainerRun[] =>
      this.#runs.filter((r) => r.kind === kind);
    await Promise.all([...byKind('main'), ...byKind('init')].map(async (r) => r.proc?.stop()));
    // Sidecars stop after the containers, in reverse order, as the kubelet does.
    for (const run of byKind('sidecar').reverse()) {
      await run.proc?.stop();
    }
    await this.#statusWrite;
    await rm(this.dir, { recursive: true, force: true });
  }

  async #run(): Promise<void> {
    await this.#prepareVolumes();
    for (const run of this.#runs.filter((r) => r.kind !== 'main')) {
      const isDone =
        run.kind === 'sidecar' ? await this.#startSidecar(run) : await this.#runInit(run);
      if (!isDone) {
        return;
      }
    }
    this.#isInitialized = true;
    for (const run of this.#runs.filter((r) => r.kind === 'main')) {
      await this.#startContainer(run);
    }
    this.#writeStatus();
  }

  async #prepareVolumes(): Promise<void> {
    let delayMs = 100;
    for (;;) {
      if (this.#isStopping) {
        return;
      }
      try {
        await this.#volumes.sync(this.#isAutomounted());
        this.#isVolumesReady = true;
        return;
      } catch (err) {
        for (const run of this.#runs) {
          run.state = { waiting: { reason: 'ContainerCreating', message: errorText(err) } };
        }
        this.#writeStatus();
      }
      await pause(delayMs);
      delayMs = Math.min(delayMs * 2, this.#options.restartBackoff.maxMs);
    }
  }

  #isAutomounted(): boolean {
    return this.#pod.spec.automountServiceAccountToken !== false;
  }

  async #startSidecar(run: ContainerRun): Promise<boolean> {
    await this.#startContainer(run);
    // The next init container waits until the sidecar has started (its startupProbe passed).
    while (!run.isStarted && !this.#isStopping) {
      await pause(50);
    }
    return !this.#isStopping;
  }

  async #runInit(run: ContainerRun): Promise<boolean> {
    for (;;) {
      if (this.#isStopping) {
        return false;
      }
      await this.#startContainer(run);
      const status = await (run.proc?.exited ?? Promise.resolve(undefined));
      if (status?.code === 0) {
        return true;
      }
      if (this.#pod.spec.restartPolicy === 'Never') {
        this.#phase = 'Failed';
        this.#writeStatus();
        return false;
      }
      await pause(this.#nextBackoff(run));
      run.restartCount++;
    }
  }

  async #startContainer(run: ContainerRun): Promise<void> {
    if (this.#isStopping) {
      return;
    }
    run.proc = undefined;
    try {
      const program = programFor(run.spec.image ?? '', this.#options.images);
      if (program === undefined) {
        run.state = {
          waiting: {
            reason: 'ErrImagePull',
            message: `no local program for image ${run.spec.image ?? '(none)'}: add an ImageRule (startNodeAgent's images option)`,
          },
        };
        this.#writeStatus();
        return;
      }
      run.plan = await planLaunch({
        pod: this.#pod,
        container: run.spec,
        client: this.#options.client,
        program,
        podDir: this.dir,
        volumeDirs: this.#volumes.dirs,
        serviceAccountDir: this.#isAutomounted() ? this.#volumes.serviceAccountDir : undefined,
        apiServer: this.#options.apiServer,
        podIp: this.#options.podIp,
        isMountNamespaced: this.#options.mountNamespace !== undefined,
      });
      run.proc = await this.#spawn(run, run.plan);
    } catch (err) {
      run.state = { waiting: { reason: 'CreateContainerConfigError', message: errorText(err) } };
      this.#writeStatus();
      if (run.kind !== 'init') {
        this.#scheduleRestart(run);
      }
      return;
    }
    this.#onStarted(run, run.proc);
  }

  #onStarted(run: ContainerRun, proc: ManagedProcess): void {
    run.startedAt = now();
    run.state = { running: { startedAt: run.startedAt } };
    run.isStarted = run.spec.startupProbe === undefined;
    run.isReady = false;
    if (run.kind !== 'init') {
      if (run.kind === 'main' && this.#phase === 'Pending') {
        this.#phase = 'Running';
      }
      this.#startProbers(run);
    }
    void proc.exited.then((status) => {
      this.#onExit(run, proc, status);
    });
    this.#writeStatus();
  }

  async #spawn(run: ContainerRun, plan: LaunchPlan): Promise<ManagedProcess> {
    const env = which('env') ?? '/usr/bin/env';
    // The child starts from the test runner's environment plus the container's; `env -u` then
    // drops every variable the container does not define, so it sees only its own. Values travel
    // in the environment, never on the command line (`ps` shows names only).
    const unset = Object.keys(childEnv())
      .filter((key) => !(key in plan.env))
      .flatMap((key) => ['-u', key]);
    const graceSeconds = this.#pod.spec.terminationGracePeriodSeconds ?? 30;
    const argv =
      this.#options.mountNamespace === undefined
        ? plan.argv
        : await this.#namespacedArgv(run, plan, this.#options.mountNamespace);
    return spawnManaged(env, [...unset, '--', ...argv], {
      name: `${this.key}/${run.spec.name}`,
      cwd: plan.cwd,
      env: plan.env,
      stopGraceMs: graceSeconds * 1000,
    });
  }

  /**
   * `unshare --mount … sh <script> <cwd> <argv…>`: the container in its own mount namespace, its
   * volumes (and the service-account directory, and `/etc/hosts`) where its spec mounts them.
   */
  async #namespacedArgv(
    run: ContainerRun,
    plan: LaunchPlan,
    namespace: { hosts(namespace: string): Promise<string> },
  ): Promise<string[]> {
    const unshare = which('unshare') ?? '/usr/bin/unshare';
    const dir = join(this.dir, 'mount-ns', run.spec.name);
    const rootDir = join(dir, 'root');
    await mkdir(rootDir, { recursive: true });
    const hostsFile = join(dir, 'hosts');
    await writeFile(hostsFile, await namespace.hosts(this.#pod.metadata.namespace ?? 'default'));
    const binds: BindMount[] = [];
    for (const mount of run.spec.volumeMounts ?? []) {
      const source = this.#volumes.dirs.get(mount.name);
      if (source !== undefined) {
        const path = mount.subPath === undefined ? source : join(source, mount.subPath);
        binds.push({ source: path, target: mount.mountPath });
      }
    }
    const hasSaMount = binds.some((b) => b.target.replace(/\/$/, '') === serviceAccountMountPath);
    if (this.#isAutomounted() && !hasSaMount) {
      binds.push({ source: this.#volumes.serviceAccountDir, target: serviceAccountMountPath });
    }
    binds.push({ source: hostsFile, target: '/etc/hosts' });
    const script = join(dir, 'run.sh');
    await writeFile(script, mountNamespaceScript({ rootDir, binds, stdioDir: dir }));
    return [unshare, '--mount', '--propagation', 'private', 'sh', script, plan.cwd, ...plan.argv];
  }

  #startProbers(run: ContainerRun): void {
    stopProbers(run);
    const plan = run.plan;
    if (plan === undefined) {
      return;
    }
    const make = (probe: Probe, onResult: (ok: boolean) => void): Prober => {
      const prober = new Prober(probe, () => probeOnce(probe, { container: run.spec, plan }), {
        periodCapMs: this.#options.probePeriodCapMs,
        onResult,
        // A startup or liveness failure kills the container: allow it a kubelet's time.
        isFailureWindowKept: probe !== run.spec.readinessProbe,
      });
      run.probers.push(prober);
      return prober;
    };
    const afterStart = (): void => {
      const { readinessProbe, livenessProbe } = run.spec;
      run.isReady = readinessProbe === undefined;
      if (readinessProbe !== undefined) {
        make(readinessProbe, (ok) => {
          run.isReady = ok;
          this.#writeStatus();
        }).start();
      }
      if (livenessProbe !== undefined) {
        make(livenessProbe, (ok) => {
          if (!ok) {
            void run.proc?.stop();
          }
        }).start();
      }
      this.#writeStatus();
    };
    const startupProbe = run.spec.startupProbe;
    if (startupProbe === undefined) {
      afterStart();
      return;
    }
    const startup = make(startupProbe, (ok) => {
      if (ok) {
        startup.stop();
        run.isStarted = true;
        afterStart();
      } else {
        void run.proc?.stop();
      }
    });
    startup.start();
  }

  #onExit(run: ContainerRun, proc: ManagedProcess, status: ExitStatus): void {
    if (run.proc !== proc) {
      return;
    }
    stopProbers(run);
    run.isReady = false;
    run.isStarted = false;
    const exitCode = status.code ?? 128 + (signals[status.signal ?? ''] ?? 0);
    run.state = {
      terminated: {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt: run.startedAt,
        finishedAt: now(),
      },
    };
    run.previousLogs = `${run.previousLogs}${proc.logTail(200)}\n`.slice(-64 * 1024);
    if (this.#isStopping || run.kind === 'init') {
      this.#writeStatus();
      return;
    }
    if (this.#isRestarted(run, exitCode)) {
      run.lastState = run.state;
      run.state = {
        waiting: { reason: 'CrashLoopBackOff', message: `back-off restarting ${run.spec.name}` },
      };
      this.#scheduleRestart(run);
    } else {
      this.#settlePhase();
    }
    this.#writeStatus();
  }

  #isRestarted(run: ContainerRun, exitCode: number): boolean {
    const policy = this.#pod.spec.restartPolicy ?? 'Always';
    return (
      run.kind === 'sidecar' || policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)
    );
  }

  /** With restartPolicy Never/OnFailure: once every container ended for good, the pod is done. */
  #settlePhase(): void {
    const mains = this.#runs.filter((r) => r.kind === 'main');
    const ended = mains.every((r) => 'terminated' in r.state);
    if (!ended) {
      return;
    }
    const isOk = mains.every((r) => 'terminated' in r.state && r.state.terminated.exitCode === 0);
    this.#phase = isOk ? 'Succeeded' : 'Failed';
    void this.stop();
  }

  #scheduleRestart(run: ContainerRun): void {
    if (this.#isStopping) {
      return;
    }
    clearTimeout(run.restartTimer);
    run.restartTimer = setTimeout(() => {
      run.restartCount++;
      void this.#startContainer(run);
    }, this.#nextBackoff(run));
  }

  #nextBackoff(run: ContainerRun): number {
    const { initialMs, maxMs } = this.#options.restartBackoff;
    run.backoffMs = run.backoffMs === 0 ? initialMs : Math.min(run.backoffMs * 2, maxMs);
    return run.backoffMs;
  }

  /** Writes the status if it changed; writes are serialised and coalesced. */
  #writeStatus(): void {
    if (this.#isStatusDirty) {
      return;
    }
    this.#isStatusDirty = true;
    this.#statusWrite = this.#statusWrite.then(async () => {
      this.#isStatusDirty = false;
      const status = this.#status();
      const text = JSON.stringify(status);
      if (text === this.#lastStatus) {
        return;
      }
      const { namespace = 'default', name } = this.#pod.metadata;
      try {
        await this.#options.client.mergePatch(
          `/api/v1/namespaces/${namespace}/pods/${name}/status`,
          { status },
        );
        this.#lastStatus = text;
      } catch (err) {
        if (!(err instanceof KubeApiError && err.status === 404)) {
          this.#lastStatus = '';
        }
      }
    });
  }

  #status(): Record<string, unknown> {
    const mains = this.#runs.filter((r) => r.kind === 'main');
    // As the kubelet: a native sidecar's readiness counts towards the pod's (KEP-753).
    const containersReady =
      this.#runs.every((r) => r.kind === 'init' || r.isReady) && this.#isInitialized;
    const isDone = this.#phase === 'Succeeded' || this.#phase === 'Failed';
    this.#condition('PodReadyToStartContainers', this.#isVolumesReady);
    this.#condition('Initialized', this.#isInitialized);
    this.#condition('ContainersReady', containersReady && !isDone);
    this.#condition('Ready', containersReady && !isDone && !this.#isStopping);
    this.#condition('PodScheduled', true);
    return {
      phase: this.#phase,
      hostIP: this.#options.podIp,
      hostIPs: [{ ip: this.#options.podIp }],
      podIP: this.#options.podIp,
      podIPs: [{ ip: this.#options.podIp }],
      startTime: this.#startTime,
      conditions: [...this.#conditions].map(([type, c]) => ({ type, ...c })),
      initContainerStatuses: this.#runs.filter((r) => r.kind !== 'main').map(containerStatus),
      containerStatuses: mains.map(containerStatus),
    };
  }

  #condition(type: string, isTrue: boolean): void {
    const status = isTrue ? 'True' : 'False';
    if (this.#conditions.get(type)?.status !== status) {
      this.#conditions.set(type, { status, lastTransitionTime: now() });
    }
  }
}

function containerStatus(run: ContainerRun): Record<string, unknown> {
  return {
    name: run.spec.name,
    image: run.spec.image ?? '',
    imageID: '',
    containerID: run.proc === undefined ? undefined : `aigw-testkit://${String(run.proc.pid)}`,
    ready: run.isReady,
    started: run.isStarted,
    restartCount: run.restartCount,
    state: run.state,
    ...(run.lastState === undefined ? {} : { lastState: run.lastState }),
  };
}

function newRun(spec: Container, kind: ContainerRun['kind']): ContainerRun {
  return {
    spec,
    kind,
    proc: undefined,
    plan: undefined,
    state: { waiting: { reason: 'PodInitializing' } },
    lastState: undefined,
    restartCount: 0,
    isReady: false,
    isStarted: false,
    probers: [],
    backoffMs: 0,
    restartTimer: undefined,
    previousLogs: '',
    startedAt: now(),
  };
}

function stopProbers(run: ContainerRun): void {
  for (const prober of run.probers.splice(0)) {
    prober.stop();
  }
}

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function errorText(err: unknown): string {
  return isTestkitError(err) || err instanceof Error ? err.message : String(err);
}
