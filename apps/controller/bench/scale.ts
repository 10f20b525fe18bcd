// Controller at scale: N AIGatewayRoutes (2 backends each) on a real kube-apiserver + etcd, the
// controller and an extproc as separate processes (built, from dist/), as upstream measures it.
//
//   pnpm exec turbo run build --filter=@aigw/controller... --filter=@aigw/extproc...
//   cd apps/controller
//   node --import tsx --conditions=@aigw/source bench/scale.ts [--routes 200] [--edits 20]
//   node --import tsx --conditions=@aigw/source bench/scale.ts --routes 2000 --edits 100
//
// Creates one Gateway, then per route an API-key Secret, a BackendSecurityPolicy, two Envoy
// Gateway Backends, two AIServiceBackends and the AIGatewayRoute (with the controller running, as
// a `kubectl apply` of a big set), and measures:
//   - the time from the first create until every route is Accepted (for its generation), and until
//     the extproc logs a config with all 2N backends;
//   - `edits` single-route edits (a backendRef's modelNameOverride): from the write to the extproc
//     logging the config that carries it (p50/p99/max);
//   - the controller's CPU seconds and RSS (from /proc/<pid>) during provisioning, during the
//     edits and once idle; the config's size and part count.
// Figures, not a test: nothing is asserted beyond the waits (which fail loudly on timeout).
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { configSecretNames } from '@aigw/gateway-config';
import {
  jsonLogLines,
  spawnManaged,
  startKubeApiServer,
  waitFor,
  type ManagedProcess,
} from '@aigw/testkit';
import type { KubeObject } from '../src/runtime/contracts.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { testClient } from '../test/support/kube.js';
import { acceptedOf, applyReconcilerCrds, pathOf } from '../test/support/reconcile-kit.js';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '200' },
    edits: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '16' },
    /** Writes a V8 CPU profile of the controller into this directory. */
    'cpu-prof-dir': { type: 'string' },
    /** Extra Node/V8 flags for the controller process (space-separated), e.g. memory settings. */
    'controller-node-args': { type: 'string', default: '' },
    /** Copies the controller's /proc/<pid>/smaps to this file once provisioned. */
    'smaps-out': { type: 'string' },
    /** Writes a V8 heap snapshot of the controller into this directory once provisioned. */
    'heap-snapshot-dir': { type: 'string' },
  },
});
const routes = Number(values.routes);
const edits = Number(values.edits);
const concurrency = Number(values.concurrency);
const namespace = 'default';
const gatewayName = 'gw';
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const ai = 'aigateway.envoyproxy.io/v1alpha1';

// --- /proc sampling --------------------------------------------------------------------------

const ticks = 100; // USER_HZ on Linux
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks; // utime + stime (fields 14, 15)
}
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) / 1024;
}
/**
 * Where a process's resident memory is (MiB): the malloc heap (`[heap]`), files mapped (the node
 * binary, libraries), and other anonymous mappings (V8's heap pages, large mallocs).
 */
function rssBreakdown(pid: number): string {
  const sums = { heap: 0, file: 0, anon: 0 };
  let current: keyof typeof sums = 'anon';
  for (const line of readFileSync(`/proc/${String(pid)}/smaps`, 'utf8').split('\n')) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      const path = header[2] ?? '';
      current = path === '[heap]' ? 'heap' : header[1] !== '0' ? 'file' : 'anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)?.[1];
    if (rss !== undefined) sums[current] += Number(rss);
  }
  const mib = (kb: number): string => (kb / 1024).toFixed(0);
  return `malloc heap ${mib(sums.heap)}, files ${mib(sums.file)}, other anonymous ${mib(sums.anon)}`;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Peak RSS of `pid` while sampling (every 100 ms). */
class RssPeak {
  peak = 0;
  readonly #timer: NodeJS.Timeout;
  constructor(pid: number) {
    const sample = (): void => {
      this.peak = Math.max(this.peak, rssMiB(pid));
    };
    sample();
    this.#timer = setInterval(sample, 100);
  }
  stop(): number {
    clearInterval(this.#timer);
    return this.peak;
  }
}

// --- objects -------------------------------------------------------------------------------

const pad = (i: number): string => String(i).padStart(5, '0');

function objectsOf(i: number): KubeObject[] {
  const r = `route-${pad(i)}`;
  const backends = [0, 1].map((j) => `${r}-b${String(j)}`);
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${r}-key`, namespace },
      stringData: { apiKey: `sk-${pad(i)}-${'k'.repeat(40)}` },
    },
    {
      apiVersion: ai,
      kind: 'BackendSecurityPolicy',
      metadata: { name: `${r}-apikey`, namespace },
      spec: {
        targetRefs: backends.map((name) => ({
          group: 'aigateway.envoyproxy.io',
          kind: 'AIServiceBackend',
          name,
        })),
        type: 'APIKey',
        apiKey: { secretRef: { name: `${r}-key`, namespace } },
      },
    },
    ...backends.flatMap((name): KubeObject[] => [
      {
        apiVersion: 'gateway.envoyproxy.io/v1alpha1',
        kind: 'Backend',
        metadata: { name, namespace },
        spec: { endpoints: [{ fqdn: { hostname: `${name}.example.com`, port: 443 } }] },
      },
      {
        apiVersion: ai,
        kind: 'AIServiceBackend',
        metadata: { name, namespace },
        spec: {
          schema: { name: 'OpenAI' },
          backendRef: { name, kind: 'Backend', group: 'gateway.envoyproxy.io' },
        },
      },
    ]),
    routeOf(i, 'm-0'),
  ];
}

function routeOf(i: number, override: string): KubeObject {
  const r = `route-${pad(i)}`;
  return {
    apiVersion: ai,
    kind: 'AIGatewayRoute',
    metadata: { name: r, namespace },
    spec: {
      parentRefs: [{ name: gatewayName, kind: 'Gateway', group: 'gateway.networking.k8s.io' }],
      rules: [
        {
          matches: [
            { headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: `model-${pad(i)}` }] },
          ],
          backendRefs: [{ name: `${r}-b0`, modelNameOverride: override }, { name: `${r}-b1` }],
        },
      ],
    },
  };
}

async function create(client: KubeClient, object: KubeObject): Promise<void> {
  const path = pathOf(object);
  await client.request({
    method: 'POST',
    path: path.slice(0, path.lastIndexOf('/')),
    body: object,
  });
}

/** Runs `fn` over `items`, `limit` at a time. */
async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

// --- what the extproc serves ----------------------------------------------------------------

interface Applied {
  readonly uuid: string;
  readonly backends: number;
}

/** The configs the extproc logged as applied (`config loaded` / `config reloaded`), in order. */
function appliedConfigs(proc: ManagedProcess): Applied[] {
  return proc
    .logTail(1_000_000)
    .split('\n')
    .flatMap((line) => {
      if (!line.includes('"config ')) return [];
      try {
        const entry = JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>;
        return entry['msg'] === 'config loaded' || entry['msg'] === 'config reloaded'
          ? [{ uuid: String(entry['uuid']), backends: Number(entry['backends']) }]
          : [];
      } catch {
        return [];
      }
    });
}

async function acceptedCount(client: KubeClient): Promise<number> {
  let count = 0;
  let cont: string | undefined;
  do {
    const page = await client.request<{ items: KubeObject[]; metadata: { continue?: string } }>({
      path: `/apis/${ai}/namespaces/${namespace}/aigatewayroutes`,
      query: { limit: 500, ...(cont ? { continue: cont } : {}) },
    });
    for (const route of page.items) {
      const c = acceptedOf(route);
      if (c?.['status'] === 'True' && c['observedGeneration'] === route.metadata.generation)
        count++;
    }
    cont = page.metadata.continue || undefined;
  } while (cont);
  return count;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const ms = (v: number): string => `${v.toFixed(0)} ms`;
const s = (v: number): string => `${(v / 1000).toFixed(1)} s`;

// --- run ----------------------------------------------------------------------------------

const kube = await startKubeApiServer({ name: 'bench-kube' });
const procs: ManagedProcess[] = [];
const rows: [string, string][] = [];
try {
  await applyReconcilerCrds(kube);
  const client = testClient(kube);
  for (const object of [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'aigw' },
      spec: { controllerName: 'gateway.envoyproxy.io/gatewayclass-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: gatewayName, namespace },
      spec: { gatewayClassName: 'aigw', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    },
  ] as KubeObject[]) {
    await create(client, object);
  }

  const controller = await spawnManaged(
    process.execPath,
    [
      ...values['controller-node-args'].split(' ').filter((arg) => arg !== ''),
      ...(values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : []),
      ...(values['heap-snapshot-dir']
        ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${values['heap-snapshot-dir']}`]
        : []),
      'apps/controller/dist/bin.js',
      `--kubeconfig=${kube.kubeconfigPath}`,
      '--leader-elect=false',
      '--health-port=0',
      '--host=127.0.0.1',
      '--log-level=info',
    ],
    { name: 'controller', cwd: repo },
  );
  procs.push(controller);
  const gateway = { gatewayNamespace: namespace, gatewayName };
  const extproc = await spawnManaged(
    process.execPath,
    [
      'apps/extproc/dist/bin.js',
      `--address=unix:${join(tmpdir(), `aigw-bench-extproc-${String(process.pid)}.sock`)}`,
      `--config-secret=${configSecretNames(gateway)[0] ?? ''}`,
      `--config-namespace=${namespace}`,
      `--kubeconfig=${kube.kubeconfigPath}`,
      '--log-level=info',
    ],
    { name: 'extproc', cwd: repo, logLimit: 4_000_000 },
  );
  procs.push(extproc);
  // Started and synced: its CPU use has gone quiet (< 20 ms in 500 ms).
  let cpuLast = cpuSeconds(controller.pid);
  await waitFor(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const now = cpuSeconds(controller.pid);
      const quiet = now - cpuLast < 0.02;
      cpuLast = now;
      return quiet;
    },
    { timeoutMs: 60_000, description: 'the controller started and idle' },
  );
  const cpuAtStart = cpuSeconds(controller.pid);
  const rssAtStart = rssMiB(controller.pid);

  // Provisioning.
  const provisioningRss = new RssPeak(controller.pid);
  const started = performance.now();
  const indexes = Array.from({ length: routes }, (_, i) => i);
  await pool(indexes, concurrency, async (i) => {
    for (const object of objectsOf(i)) await create(client, object);
  });
  const created = performance.now() - started;
  await waitFor(async () => (await acceptedCount(client)) === routes, {
    timeoutMs: 1_800_000,
    intervalMs: 250,
    description: `${String(routes)} routes Accepted`,
  });
  const allAccepted = performance.now() - started;
  await waitFor(() => appliedConfigs(extproc).some((c) => c.backends === 2 * routes), {
    timeoutMs: 1_800_000,
    intervalMs: 50,
    description: `the extproc serving ${String(2 * routes)} backends`,
  });
  const allServed = performance.now() - started;
  const cpuProvisioning = cpuSeconds(controller.pid) - cpuAtStart;
  const peakProvisioning = provisioningRss.stop();

  // Settle: nothing left for the controller to do (the config stops changing).
  let seen = appliedConfigs(extproc).length;
  await waitFor(
    async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const now = appliedConfigs(extproc).length;
      const settled = now === seen;
      seen = now;
      return settled;
    },
    { timeoutMs: 600_000, description: 'the config settled' },
  );
  const rssSettled = rssMiB(controller.pid);
  // Idle for longer than the controller's idle collection period (10 s).
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  const rssAfterProvisioning = rssMiB(controller.pid);
  const heapProvisioned = await controllerHeap(controller);
  const breakdownProvisioned = rssBreakdown(controller.pid);
  if (values['smaps-out'] !== undefined) {
    writeFileSync(values['smaps-out'], readFileSync(`/proc/${String(controller.pid)}/smaps`));
  }
  const snapshotDir = values['heap-snapshot-dir'];
  if (snapshotDir !== undefined) await heapSnapshot(controller.pid, snapshotDir);

  // Config size and parts, from the index Secret.
  const index = await client.request<KubeObject & { data: Record<string, string> }>({
    path: `/api/v1/namespaces/${namespace}/secrets/${configSecretNames(gateway)[0] ?? ''}`,
  });
  const indexText = Buffer.from(index.data['index.yaml'] ?? '', 'base64').toString('utf8');
  const parts = [...indexText.matchAll(/sizeBytes:\s*(\d+)|"sizeBytes":\s*(\d+)/g)].map((m) =>
    Number(m[1] ?? m[2]),
  );
  const configBytes = parts.reduce((a, b) => a + b, 0);

  // Edits: one route's modelNameOverride each, edit → extproc applied a new config.
  const editRss = new RssPeak(controller.pid);
  const cpuBeforeEdits = cpuSeconds(controller.pid);
  const latencies: number[] = [];
  for (let e = 1; e <= edits; e++) {
    const i = (e * 7919) % routes;
    const before = appliedConfigs(extproc).length;
    const t0 = performance.now();
    await client.request({
      method: 'PATCH',
      path: pathOf(routeOf(i, 'x')),
      query: { fieldManager: 'bench', force: true },
      body: routeOf(i, `m-${String(e)}`),
      contentType: 'application/apply-patch+yaml',
    });
    await waitFor(() => appliedConfigs(extproc).length > before, {
      timeoutMs: 300_000,
      intervalMs: 5,
      description: `edit ${String(e)} served`,
    });
    latencies.push(performance.now() - t0);
  }
  const cpuEdits = cpuSeconds(controller.pid) - cpuBeforeEdits;
  const peakEdits = editRss.stop();
  const cpuIdleStart = cpuSeconds(controller.pid);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const cpuIdle = cpuSeconds(controller.pid) - cpuIdleStart;
  const rssIdle = rssMiB(controller.pid);
  const heap = await controllerHeap(controller);
  const breakdown = rssBreakdown(controller.pid);
  latencies.sort((a, b) => a - b);

  rows.push(
    ['routes × backends', `${String(routes)} × 2 (${String(routes * 6)} objects created)`],
    ['create calls done', s(created)],
    ['all routes Accepted', s(allAccepted)],
    ['extproc serving all routes', s(allServed)],
    [
      'config size, parts',
      `${(configBytes / 1024).toFixed(0)} KiB, ${String(parts.length)} part(s)`,
    ],
    [
      `edit → extproc serving (${String(edits)} edits)`,
      `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? Number.NaN)}`,
    ],
    ['controller CPU, provisioning', `${cpuProvisioning.toFixed(1)} s`],
    ['controller CPU per edit', `${((cpuEdits / Math.max(1, edits)) * 1000).toFixed(0)} ms`],
    ['controller CPU idle (10 s)', `${cpuIdle.toFixed(2)} s`],
    ['controller RSS started, no routes', `${rssAtStart.toFixed(0)} MiB`],
    ['controller RSS peak provisioning', `${peakProvisioning.toFixed(0)} MiB`],
    ['controller RSS when provisioned', `${rssSettled.toFixed(0)} MiB`],
    ['controller RSS provisioned, idle 12 s', `${rssAfterProvisioning.toFixed(0)} MiB`],
    [
      'controller V8 heap used / total, provisioned',
      `${heapProvisioned.used} / ${heapProvisioned.total} MiB`,
    ],
    ['controller RSS by mapping, provisioned (MiB)', breakdownProvisioned],
    ['controller RSS peak during edits', `${peakEdits.toFixed(0)} MiB`],
    ['controller RSS idle after edits', `${rssIdle.toFixed(0)} MiB`],
    ['controller V8 heap used / total, idle', `${heap.used} / ${heap.total} MiB`],
    ['controller external memory, idle', `${heap.external} MiB`],
    ['controller RSS by mapping, idle (MiB)', breakdown],
    ['load average (1, 5, 15 min) at end', loadAverage()],
  );
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nController at ${String(routes)} routes, ${new Date().toISOString()}\n`);
  console.log(`| ${'what'.padEnd(width)} | figure |`);
  console.log(`| ${'-'.repeat(width)} | ------ |`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
} finally {
  for (const proc of procs.reverse()) await proc.stop();
  await kube.stop();
}

/** Signals the controller to write a heap snapshot and waits until the file is complete. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const snapshots = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot'));
  const before = snapshots().length;
  process.kill(pid, 'SIGUSR2');
  let size = -1;
  await waitFor(
    () => {
      const [latest] = snapshots().slice(before);
      if (latest === undefined) return false;
      const now = statSync(join(dir, latest)).size;
      const done = now > 0 && now === size;
      size = now;
      return done;
    },
    { timeoutMs: 300_000, intervalMs: 1_000, description: 'the heap snapshot written' },
  );
}

/** The controller's V8 heap and external memory (MiB), from its Prometheus `/metrics`. */
async function controllerHeap(
  proc: ManagedProcess,
): Promise<{ used: string; total: string; external: string }> {
  const started = jsonLogLines(proc, 'controller started')[0];
  const text = await (await fetch(`http://127.0.0.1:${String(started?.['port'])}/metrics`)).text();
  const metric = (name: string): string => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line === undefined ? '?' : (Number(line.split(' ')[1]) / 1048576).toFixed(0);
  };
  return {
    used: metric('nodejs_heap_size_used_bytes'),
    total: metric('nodejs_heap_size_total_bytes'),
    external: metric('nodejs_external_memory_bytes'),
  };
}
