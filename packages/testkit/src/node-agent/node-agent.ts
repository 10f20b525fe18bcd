import { join } from 'node:path';

import type { KubeTarget } from '../kube-request.js';
import { register, unregister, type ManagedResource } from '../registry.js';
import type { ManagedProcess } from '../spawn-managed.js';
import { removeTempDir, tempDir } from '../temp-dir.js';
import { startControllerManager } from './controller-manager.js';
import { defaultImageRules, type ImageRule } from './images.js';
import { KubeApiError, KubeClient } from './kube-client.js';
import { PodRunner } from './pod-runner.js';
import type { Pod } from './types.js';

/** Options for {@link startNodeAgent}. */
export interface StartNodeAgentOptions {
  /** The Node object's name (default `aigw-test-node`). */
  readonly nodeName?: string;
  /**
   * Start kube-controller-manager too (default true), so Deployments become ReplicaSets and Pods,
   * and deletions cascade. Without it only Pods created directly run.
   */
  readonly isControllerManagerStarted?: boolean;
  /** kube-controller-manager's `--controllers` (default: see `defaultControllers`). */
  readonly controllers?: readonly string[];
  /** Image rules tried before the built-in ones (`defaultImageRules()`). */
  readonly images?: readonly ImageRule[];
  /** Upper bound on probe periods and initial delays (default 1 000 ms). */
  readonly probePeriodCapMs?: number;
  /** Container restart backoff (default 1 s doubling to 30 s; a kubelet uses 10 s to 5 min). */
  readonly restartBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How often Secret/ConfigMap volumes are refreshed and the pod list is re-read (default 1 s). */
  readonly resyncMs?: number;
  /** How long kube-controller-manager may take to start (default 120 s). */
  readonly timeoutMs?: number;
}

/** A running node agent (and controller manager) started by {@link startNodeAgent}. */
export interface NodeAgent {
  readonly nodeName: string;
  /** The kube-controller-manager process, when started. */
  readonly controllerManager: ManagedProcess | undefined;
  /** A container's output (default: the pod's first container), including earlier restarts. */
  podLogs(namespace: string, pod: string, container?: string): string;
  /** Pids of a pod's running containers by container name (`{}` when the pod does not run here). */
  pids(namespace: string, pod: string): Record<string, number>;
  /** Stops every pod's processes, the controller manager, and deletes the Node; idempotent. */
  stop(): Promise<void>;
}

const defaultNodeName = 'aigw-test-node';

/**
 * A small kubelet and scheduler for the test cluster: registers a Node, binds every unscheduled
 * pod (default scheduler) to it, and runs the pods bound to it as local processes (image → local
 * program by {@link ImageRule}s), reporting their status back. Optionally starts
 * kube-controller-manager first. See docs/testing-kube.md "Running pods".
 *
 * @throws TestkitError from starting kube-controller-manager or registering the Node.
 */
export async function startNodeAgent(
  kube: KubeTarget & { readonly kubeconfigPath: string },
  options: StartNodeAgentOptions = {},
): Promise<NodeAgent> {
  const nodeName = options.nodeName ?? defaultNodeName;
  const client = new KubeClient(kube);
  const dir = tempDir('node');
  let controllerManager: ManagedProcess | undefined;
  try {
    if (options.isControllerManagerStarted !== false) {
      controllerManager = await startControllerManager(kube, {
        dir,
        ...(options.controllers === undefined ? {} : { controllers: options.controllers }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
    }
    await registerNode(client, nodeName);
  } catch (err) {
    await controllerManager?.stop();
    await removeTempDir(dir);
    throw err;
  }
  const url = new URL(kube.url);
  const agent = new Agent({
    client,
    nodeName,
    controllerManager,
    dir,
    runner: {
      client,
      caPem: kube.caPem,
      apiServer: { host: url.hostname, port: url.port },
      rootDir: join(dir, 'pods'),
      images: [...(options.images ?? []), ...defaultImageRules()],
      probePeriodCapMs: options.probePeriodCapMs ?? 1_000,
      restartBackoff: options.restartBackoff ?? { initialMs: 1_000, maxMs: 30_000 },
    },
    resyncMs: options.resyncMs ?? 1_000,
  });
  agent.start();
  return agent;
}

interface AgentConfig {
  readonly client: KubeClient;
  readonly nodeName: string;
  readonly controllerManager: ManagedProcess | undefined;
  readonly dir: string;
  readonly runner: ConstructorParameters<typeof PodRunner>[1];
  readonly resyncMs: number;
}

class Agent implements NodeAgent, ManagedResource {
  readonly name: string;
  readonly nodeName: string;
  readonly controllerManager: ManagedProcess | undefined;
  readonly #config: AgentConfig;
  readonly #runners = new Map<string, PodRunner>();
  readonly #finalizing = new Set<string>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #isReconciling = false;
  #isKicked = false;
  #stopping: Promise<void> | undefined;

  constructor(config: AgentConfig) {
    this.#config = config;
    this.nodeName = config.nodeName;
    this.name = `node-agent ${config.nodeName}`;
    this.controllerManager = config.controllerManager;
  }

  /** Registered so `stopAll()` stops the agent with the processes: otherwise it would restart them. */
  start(): void {
    register(this);
    void this.#config.client.watch(
      '/api/v1/pods',
      () => {
        this.#kick();
      },
      this.#abort.signal,
    );
    this.#timer = setInterval(() => {
      this.#kick();
      for (const runner of this.#runners.values()) {
        void runner.resync();
      }
    }, this.#config.resyncMs);
  }

  podLogs(namespace: string, pod: string, container?: string): string {
    return this.#runnerOf(namespace, pod)?.logs(container) ?? '';
  }

  pids(namespace: string, pod: string): Record<string, number> {
    return this.#runnerOf(namespace, pod)?.pids() ?? {};
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** Pods this agent runs, one line each (for failure dumps; containers have their own logs). */
  logs(): string {
    return [...this.#runners.values()].map((runner) => `${runner.key} ${runner.dir}`).join('\n');
  }

  killSync(): void {
    this.#abort.abort();
    clearInterval(this.#timer);
  }

  async #stop(): Promise<void> {
    this.#abort.abort();
    clearInterval(this.#timer);
    unregister(this);
    await Promise.all([...this.#runners.values()].map((runner) => runner.stop()));
    this.#runners.clear();
    await this.controllerManager?.stop();
    await this.#config.client
      .send(`/api/v1/nodes/${this.nodeName}`, { method: 'DELETE' })
      .catch(() => undefined);
    await removeTempDir(this.#config.dir);
  }

  #runnerOf(namespace: string, pod: string): PodRunner | undefined {
    // The newest first: a pod deleted and created again under its name has two runners a while.
    return [...this.#runners.values()].reverse().find((r) => r.key === `${namespace}/${pod}`);
  }

  /** Coalesces wake-ups: one reconcile at a time, one more if woken meanwhile. */
  #kick(): void {
    if (this.#isReconciling) {
      this.#isKicked = true;
      return;
    }
    this.#isReconciling = true;
    void (async () => {
      do {
        this.#isKicked = false;
        await this.#reconcile().catch(() => undefined);
      } while (this.#isAgainNeeded());
      this.#isReconciling = false;
    })();
  }

  #isAgainNeeded(): boolean {
    return this.#isKicked && !this.#abort.signal.aborted;
  }

  async #reconcile(): Promise<void> {
    if (this.#abort.signal.aborted) {
      return;
    }
    const list = await this.#config.client.send<{ items: Pod[] }>('/api/v1/pods');
    const seen = new Set<string>();
    for (const pod of list.items) {
      const uid = pod.metadata.uid ?? '';
      seen.add(uid);
      if (isUnscheduled(pod)) {
        await this.#bind(pod);
      } else if (pod.spec.nodeName === this.nodeName) {
        this.#sync(pod, uid);
      }
    }
    // Gone from the API (force-deleted): stop what still runs.
    for (const [uid, runner] of this.#runners) {
      if (!seen.has(uid)) {
        this.#runners.delete(uid);
        void runner.stop();
      }
    }
  }

  #sync(pod: Pod, uid: string): void {
    let runner = this.#runners.get(uid);
    const isDeleted = pod.metadata.deletionTimestamp !== undefined;
    if (runner === undefined && !isDeleted && !isFinished(pod)) {
      runner = new PodRunner(pod, this.#config.runner);
      this.#runners.set(uid, runner);
      runner.start();
    }
    if (isDeleted && !this.#finalizing.has(uid)) {
      this.#finalizing.add(uid);
      void this.#finalize(pod, runner);
    }
  }

  /** Stops the pod's processes, then removes the object (what a kubelet does on graceful delete). */
  async #finalize(pod: Pod, runner: PodRunner | undefined): Promise<void> {
    const { namespace = 'default', name, uid } = pod.metadata;
    try {
      await runner?.stop();
      await this.#config.client.send(`/api/v1/namespaces/${namespace}/pods/${name}`, {
        method: 'DELETE',
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (err) {
      if (!(err instanceof KubeApiError && (err.status === 404 || err.status === 409))) {
        this.#finalizing.delete(uid ?? '');
      }
    }
  }

  async #bind(pod: Pod): Promise<void> {
    const { namespace = 'default', name } = pod.metadata;
    await this.#config.client
      .send(`/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        method: 'POST',
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name },
          target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName },
        },
      })
      .catch(() => undefined);
  }
}

function isUnscheduled(pod: Pod): boolean {
  return (
    (pod.spec.nodeName ?? '') === '' &&
    (pod.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler' &&
    pod.metadata.deletionTimestamp === undefined
  );
}

function isFinished(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

async function registerNode(client: KubeClient, name: string): Promise<void> {
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': process.arch === 'arm64' ? 'arm64' : 'amd64',
      },
    },
  };
  try {
    await client.send('/api/v1/nodes', { method: 'POST', body: node });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) {
      throw err;
    }
  }
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await client.mergePatch(`/api/v1/nodes/${name}/status`, {
    status: {
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'aigw testkit node agent',
          lastHeartbeatTime: time,
          lastTransitionTime: time,
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: name },
      ],
      capacity: { cpu: '2', memory: '4Gi', pods: '110' },
      allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
      nodeInfo: {
        kubeletVersion: 'v1.36.0-aigw-testkit',
        operatingSystem: 'linux',
        architecture: process.arch,
        containerRuntimeVersion: 'aigw-testkit://1',
        kernelVersion: '',
        osImage: '',
        kubeProxyVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  });
}
