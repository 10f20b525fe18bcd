import { join } from 'node:path';

import { TestkitError } from '../errors.js';
import type { KubeTarget } from '../kube-request.js';
import { register, unregister, type ManagedResource } from '../registry.js';
import type { ManagedProcess } from '../spawn-managed.js';
import { removeTempDir, tempDir } from '../temp-dir.js';
import { startControllerManager } from './controller-manager.js';
import { defaultImageRules, type ImageRule } from './images.js';
import { KubeApiError, KubeClient } from './kube-client.js';
import { PodRunner, type PodRunnerOptions } from './pod-runner.js';
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
  /**
   * The address of the Node and of every pod (default 127.0.0.1). Pods share the machine's
   * network like `hostNetwork` pods; give the machine's own address (not loopback) when
   * Endpoints must be valid — the API server refuses loopback endpoint addresses, and
   * kube-apiserver's `--enable-aggregator-routing` sends webhook calls to a Service's endpoints.
   */
  readonly podIp?: string;
  /**
   * Run each container in a private mount namespace (root only; `unshare`, `chroot`): its volumes
   * appear at their real `mountPath`s, the service-account token at
   * `/var/run/secrets/kubernetes.io/serviceaccount`, and `/etc/hosts` names every Service
   * (`<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local`) as 127.0.0.1 —
   * for programs whose paths and host names come from elsewhere than their arguments (Envoy's
   * xDS). Default false: plain processes, mount paths rewritten in arguments and environment.
   */
  readonly isMountNamespaced?: boolean;
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
  const podIp = options.podIp ?? '127.0.0.1';
  assertMountNamespacesPossible(options);
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
    await registerNode(client, { name: nodeName, ip: podIp });
  } catch (err) {
    await controllerManager?.stop();
    await removeTempDir(dir);
    throw err;
  }
  const agent = new Agent({
    client,
    nodeName,
    controllerManager,
    dir,
    runner: runnerOptions({ kube, client, dir, podIp }, options),
    resyncMs: options.resyncMs ?? 1_000,
  });
  agent.start();
  return agent;
}

function assertMountNamespacesPossible(options: StartNodeAgentOptions): void {
  if (options.isMountNamespaced === true && process.getuid?.() !== 0) {
    throw new TestkitError(
      'invalid-argument',
      'isMountNamespaced: the node agent mounts volumes in private mount namespaces, which needs root',
    );
  }
}

function runnerOptions(
  base: { kube: KubeTarget; client: KubeClient; dir: string; podIp: string },
  options: StartNodeAgentOptions,
): PodRunnerOptions {
  const { kube, client } = base;
  const url = new URL(kube.url);
  return {
    client,
    caPem: kube.caPem,
    apiServer: { host: url.hostname, port: url.port },
    rootDir: join(base.dir, 'pods'),
    images: [...(options.images ?? []), ...defaultImageRules()],
    probePeriodCapMs: options.probePeriodCapMs ?? 1_000,
    restartBackoff: options.restartBackoff ?? { initialMs: 1_000, maxMs: 30_000 },
    podIp: base.podIp,
    mountNamespace:
      options.isMountNamespaced === true
        ? { hosts: (namespace) => serviceHosts(client, namespace) }
        : undefined,
  };
}

interface AgentConfig {
  readonly client: KubeClient;
  readonly nodeName: string;
  readonly controllerManager: ManagedProcess | undefined;
  readonly dir: string;
  readonly runner: PodRunnerOptions;
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

/**
 * `/etc/hosts` for mount-namespaced containers: localhost, and every Service's DNS names as the
 * node (127.0.0.1), and the short name `<svc>` for Services of the pod's `namespace` — no
 * kube-proxy or cluster DNS runs, so a Service is reachable by name only where its port equals
 * the pod's (`targetPort`), the pods sharing the machine's network.
 */
async function serviceHosts(client: KubeClient, namespace: string): Promise<string> {
  const list = await client.send<{ items: { metadata: { name: string; namespace?: string } }[] }>(
    '/api/v1/services',
  );
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback'];
  for (const { metadata } of list.items) {
    const ns = metadata.namespace ?? 'default';
    const base = `${metadata.name}.${ns}`;
    const short = ns === namespace ? ` ${metadata.name}` : '';
    // Also the absolute form (`….cluster.local.`): Envoy Gateway's bootstrap dials that one.
    const fqdn = `${base}.svc.cluster.local`;
    lines.push(`127.0.0.1 ${fqdn} ${fqdn}. ${base}.svc ${base}${short}`);
  }
  return `${lines.join('\n')}\n`;
}

async function registerNode(
  client: KubeClient,
  { name, ip }: { readonly name: string; readonly ip: string },
): Promise<void> {
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
        { type: 'InternalIP', address: ip },
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
