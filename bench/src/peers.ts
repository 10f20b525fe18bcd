/**
 * `pnpm bench --peers`: the gateways people would pick instead, as further columns of one
 * alternating run against the same fake provider — Portkey's gateway (npm `@portkey-ai/gateway`)
 * and LiteLLM's proxy (PyPI `litellm[proxy]`), installed at bench time into the git-ignored
 * `.tools/peers/` by `bench/scripts/install-peers.sh` (never a workspace dependency, so the test
 * command never installs them).
 *
 * Each peer forwards with its own provider key, so the fake provider's per-key counters prove it
 * really forwarded every request it answered (a gateway answering from a cache or erroring would
 * show up there). The peers re-encode the provider's JSON and re-frame its SSE, so their answers
 * are checked for a 200 (and, streamed, content frames and `[DONE]`) rather than exact bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getFreePort, spawnManaged, type EnvoyProcess, type ManagedProcess } from '@aigw/testkit';
// eslint-disable-next-line import-x/no-relative-packages
import { nativeBootstrap } from '../../e2e/src/support/native-bootstrap.js';
import { benchCluster } from './bootstraps.js';
import { cannon } from './cannon.js';
import { createTarget, postStream } from './client.js';
import type { BenchOptions } from './config.js';
import { cpuMeter } from './cpu.js';
import { benchWorkload, createLane, sequential, streamOnce, type Lane } from './load.js';
import { benchModel, chatResponse } from './payloads.js';
import { peerBinEnv, type PeerBins } from './peer-bins.js';
import { repoRoot, startBenchEnvoy, type FakeBackend } from './processes.js';
import { rssMb } from './rss.js';
import type { Stack } from './run.js';
import { percentile } from './stats.js';

/** The gateways of the peers table, in column order. */
export type PeerTargetName = 'direct' | 'aigw' | 'native' | 'portkey' | 'litellm';

/** Provider keys each target's requests must arrive with. */
export const peerKeys: Readonly<Record<PeerTargetName, string>> = {
  direct: 'sk-client-key',
  aigw: 'sk-bench-000000000000000000000000',
  native: 'sk-native-bench',
  portkey: 'sk-portkey-bench',
  litellm: 'sk-litellm-bench',
};

const labels: Readonly<Record<PeerTargetName, string>> = {
  direct: 'Envoy direct',
  aigw: 'aigw (Envoy + extproc)',
  native: 'native path (Envoy filters only; not shipped)',
  portkey: 'Portkey gateway',
  litellm: 'LiteLLM proxy',
};

/** A peer that is not installed where the bench looks for it. */
export class PeerError extends Error {
  override readonly name = 'PeerError';
  readonly code = 'peer-missing';
  constructor(
    readonly peer: keyof PeerBins,
    message: string,
  ) {
    super(message);
  }
}

function missing(peer: keyof PeerBins, path: string): PeerError {
  return new PeerError(
    peer,
    `${path} missing: run \`bash bench/scripts/install-peers.sh ${peer}\` or set ${peerBinEnv[peer]}`,
  );
}

/**
 * Installs (or finds cached) the peers whose variable is not set; the script's stderr (which peer,
 * and why it failed) goes to ours, and a failed install throws.
 */
export function installPeers(progress: (message: string) => void): void {
  progress('installing peers into .tools/peers (cached after the first run)');
  execFileSync('bash', [join(repoRoot, 'bench', 'scripts', 'install-peers.sh')], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** A running peer gateway. */
interface PeerProcess {
  readonly port: number;
  /** Processes whose CPU and RSS count as the peer's. */
  readonly pids: () => number[];
  readonly headers: Readonly<Record<string, string>>;
  readonly proc: ManagedProcess;
}

async function untilAnswers(proc: ManagedProcess, url: string, what: string): Promise<void> {
  await proc.untilReady(
    async () => {
      try {
        const response = await fetch(url);
        await response.body?.cancel();
        return response.status < 500;
      } catch {
        return false;
      }
    },
    { timeoutMs: 120_000, description: what },
  );
}

/**
 * Portkey's gateway in Node (`build/start-server.js --headless`). Its routing config travels in
 * the `x-portkey-config` header (the gateway is stateless): provider `openai`, our fake provider as
 * `custom_host` (127.0.0.1 is in its default trusted hosts), its own key.
 */
async function startPortkey(backend: FakeBackend, script: string): Promise<PeerProcess> {
  if (!existsSync(script)) throw missing('portkey', script);
  const port = await getFreePort();
  const proc = await spawnManaged(
    process.execPath,
    [script, `--port=${String(port)}`, '--headless'],
    { name: 'peer-portkey', env: { NODE_ENV: 'production' } },
  );
  await untilAnswers(proc, `http://127.0.0.1:${String(port)}/`, 'Portkey gateway');
  const config = {
    provider: 'openai',
    api_key: peerKeys.portkey,
    custom_host: `http://${backend.host}:${String(backend.port)}/v1`,
  };
  return {
    port,
    pids: () => [proc.pid],
    headers: { 'x-portkey-config': JSON.stringify(config) },
    proc,
  };
}

/** The client key LiteLLM checks (it refuses to start without a master key). */
const litellmMasterKey = 'sk-litellm-master-bench';

/**
 * LiteLLM's proxy (`litellm --config`, one uvicorn worker): one model `gpt-bench` →
 * `openai/gpt-bench` at our fake provider with its own key; a master key (the client sends it;
 * no database, so it is a string compare), no callbacks, the local model-cost map (no fetch at
 * start), telemetry off.
 */
async function startLitellm(backend: FakeBackend, dir: string, bin: string): Promise<PeerProcess> {
  if (!existsSync(bin)) throw missing('litellm', bin);
  const configPath = join(dir, 'litellm.yaml');
  writeFileSync(
    configPath,
    [
      'model_list:',
      `  - model_name: ${benchModel}`,
      '    litellm_params:',
      `      model: openai/${benchModel}`,
      `      api_base: http://${backend.host}:${String(backend.port)}/v1`,
      `      api_key: ${peerKeys.litellm}`,
      'litellm_settings:',
      '  telemetry: false',
      '  drop_params: true',
      'general_settings:',
      `  master_key: ${litellmMasterKey}`,
      '',
    ].join('\n'),
  );
  const port = await getFreePort();
  const proc = await spawnManaged(
    bin,
    ['--config', configPath, '--host', '127.0.0.1', '--port', String(port), '--num_workers', '1'],
    {
      name: 'peer-litellm',
      env: {
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        LITELLM_TELEMETRY: 'False',
        LITELLM_LOG: 'ERROR',
        DISABLE_ADMIN_UI: 'True',
      },
    },
  );
  await untilAnswers(
    proc,
    `http://127.0.0.1:${String(port)}/health/liveliness`,
    'LiteLLM proxy /health/liveliness',
  );
  const headers = { authorization: `Bearer ${litellmMasterKey}` };
  return { port, pids: () => [proc.pid], headers, proc };
}

/**
 * The native fast path (docs/performance.md, lever 6; not shipped): an Envoy with only its own
 * filters routing the bench model to the fake provider with its own key, its access log beside
 * the others.
 */
function startNative(stack: Stack, options: BenchOptions): Promise<EnvoyProcess> {
  const bootstrap = nativeBootstrap({
    accessLogPath: join(stack.dir, 'access-native.log'),
    backends: [
      { cluster: benchCluster, model: benchModel, upstream: stack.fake, apiKey: peerKeys.native },
    ],
  });
  return startBenchEnvoy('envoy-native', bootstrap, options.envoyConcurrency);
}

/** One column's raw figures. */
export interface PeerFigures {
  readonly name: PeerTargetName;
  readonly label: string;
  readonly lane: Lane;
  readonly c1Ms: number[];
  /** Closed loop at the peers' concurrency. */
  readonly loop: { requests: number; elapsedMs: number; latencyMs: number[] };
  readonly ttftMs: number[];
  /** CPU ms of the gateway's own processes (aigw: Envoy + extproc) over c=1 and the loop. */
  readonly cpuMs: { c1: number; loop: number };
  /**
   * `idle`: when the phase starts — a peer just started, Envoy direct and aigw after the main suite
   * (so aigw's extproc is not idle; the main table has its idle figure).
   */
  readonly rss: { idle: number; underLoad: number; afterLoad: number };
  /** Requests the fake provider saw with this target's key during the phase. */
  forwarded: number;
  /** Why this target's streams are not measured (its first stream failed), if so. */
  streamFailure: string | undefined;
}

interface Column {
  readonly figures: PeerFigures;
  readonly pids: () => number[];
  readonly expectBody: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly port: number;
}

function sumRss(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (rssMb(pid) ?? 0), 0);
}

function column(
  name: PeerTargetName,
  shape: { port: number; pids: () => number[]; headers: Readonly<Record<string, string>> },
  frames: number,
): Column {
  // Envoy passes the provider's bytes through on these three paths; the peers re-encode them.
  const isStrict = name === 'direct' || name === 'aigw' || name === 'native';
  const target = createTarget(name, shape.port, { headers: shape.headers, isStrict });
  return {
    figures: {
      name,
      label: labels[name],
      lane: createLane(target, benchWorkload(frames)),
      c1Ms: [],
      loop: { requests: 0, elapsedMs: 0, latencyMs: [] },
      ttftMs: [],
      cpuMs: { c1: 0, loop: 0 },
      rss: { idle: sumRss(shape.pids()), underLoad: 0, afterLoad: 0 },
      forwarded: 0,
      streamFailure: undefined,
    },
    pids: shape.pids,
    expectBody: isStrict ? chatResponse.toString('utf8') : undefined,
    headers: shape.headers,
    port: shape.port,
  };
}

function meterOf(col: Column): () => number {
  const roles = Object.fromEntries(col.pids().map((pid, i) => [String(i), pid]));
  const meter = cpuMeter(roles);
  return () => Object.values(meter()).reduce((sum, ms) => sum + ms, 0);
}

async function loopSlice(
  col: Column,
  shape: { connections: number; amount: number },
): Promise<{ completed: number; latencyMs: number[]; elapsedMs: number; cpuMs: number }> {
  const cpu = meterOf(col);
  const sampler = setInterval(() => {
    col.figures.rss.underLoad = Math.max(col.figures.rss.underLoad, sumRss(col.pids()));
  }, 100);
  try {
    const result = await cannon({
      port: col.port,
      body: col.figures.lane.workload.jsonBody,
      expectBody: col.expectBody,
      headers: col.headers,
      ...shape,
    });
    col.figures.lane.sent.json += result.completed;
    for (const [kind, count] of Object.entries(result.errors))
      for (let i = 0; i < count; i++) col.figures.lane.errors.add(`json: ${kind}`);
    return { ...result, cpuMs: cpu() };
  } finally {
    clearInterval(sampler);
  }
}

async function inRounds(
  cols: readonly Column[],
  rounds: number,
  run: (col: Column, round: number) => Promise<void>,
): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? cols : [...cols].reverse();
    for (const col of order) await run(col, round);
  }
}

/** The peers phase's figures and the concurrency of its loop. */
export interface PeersReport {
  readonly concurrency: number;
  readonly rounds: number;
  readonly versions: Readonly<Record<string, string>>;
  readonly columns: readonly PeerFigures[];
  readonly errors: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

function packageVersion(dir: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

/** Portkey's version (package.json next to `build/`) and the @hono/node-server beside it. */
function portkeyVersion(script: string): string {
  const pkg = join(dirname(script), '..');
  const version = packageVersion(pkg) ?? 'unknown';
  const hono = packageVersion(join(pkg, '..', '..', '@hono', 'node-server'));
  return hono === undefined ? version : `${version} with @hono/node-server ${hono}`;
}

/** LiteLLM's version from its venv's `litellm-<version>.dist-info` (`litellm --version` takes 12 s). */
function litellmVersion(bin: string): string {
  const lib = join(dirname(bin), '..', 'lib');
  try {
    for (const python of readdirSync(lib)) {
      const site = join(lib, python, 'site-packages');
      if (!existsSync(site)) continue;
      const info = readdirSync(site).find((name) => /^litellm-[\d.]+\.dist-info$/.test(name));
      if (info) return info.slice('litellm-'.length, -'.dist-info'.length);
    }
  } catch {
    // Not a venv layout (LITELLM_BIN elsewhere): the version is not known.
  }
  return 'unknown';
}

/** envoyproxy/ratelimit's module version, from the binary's build info (`go version -m`). */
export function ratelimitVersion(bin: string): string {
  try {
    const info = execFileSync('go', ['version', '-m', bin], { encoding: 'utf8' });
    return /^\s*mod\s+github\.com\/envoyproxy\/ratelimit\s+(\S+)/m.exec(info)?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function versions(bins: PeerBins): Record<string, string> {
  return { portkey: portkeyVersion(bins.portkey), litellm: litellmVersion(bins.litellm) };
}

async function phases(cols: readonly Column[], options: BenchOptions, c: number): Promise<void> {
  const { rounds } = options;
  const rate: Record<string, number> = {};
  for (const col of cols) {
    await loopSlice(col, { connections: 1, amount: Math.max(5, options.warmup / 4) });
    const probe = await loopSlice(col, { connections: c, amount: c * 5 });
    rate[col.figures.name] = (1000 * probe.completed) / Math.max(1, probe.elapsedMs);
    // One probe stream first: a peer whose streaming fails (Portkey with @hono/node-server ≥ 1.14:
    // install-peers.sh) gets no stream slices and a note, instead of a column of errors.
    const { lane } = col.figures;
    lane.sent.streams++;
    const first = await postStream(lane.target, lane.workload.streamBody, lane.workload.frames);
    if (first.error !== undefined) col.figures.streamFailure = first.error;
    else await sequential(options.streamWarmup, () => streamOnce(lane));
  }
  const c1Requests = Math.max(rounds, Math.round(options.requests / 4));
  await inRounds(cols, rounds, async (col) => {
    const slice = await loopSlice(col, { connections: 1, amount: Math.ceil(c1Requests / rounds) });
    col.figures.c1Ms.push(...slice.latencyMs);
    col.figures.cpuMs.c1 += slice.cpuMs;
  });
  await inRounds(cols, rounds, async (col) => {
    const perSlice = ((rate[col.figures.name] ?? 50) * options.durationS) / rounds;
    const amount = Math.max(c * 2, Math.round(perSlice));
    const slice = await loopSlice(col, { connections: c, amount });
    col.figures.loop.requests += slice.completed;
    col.figures.loop.elapsedMs += slice.elapsedMs;
    col.figures.loop.latencyMs.push(...slice.latencyMs);
    col.figures.cpuMs.loop += slice.cpuMs;
  });
  const streams = Math.max(rounds, Math.round(options.streams / 3));
  await inRounds(cols, rounds, async (col) => {
    if (col.figures.streamFailure !== undefined) return;
    const results = await sequential(Math.ceil(streams / rounds), () =>
      streamOnce(col.figures.lane),
    );
    for (const result of results) col.figures.ttftMs.push(result.ttftMs);
  });
}

/**
 * Runs the peers phase on a running stack (its fake provider, Envoy direct and the gateway):
 * starts the peers, alternates c=1, the loop at the first `--concurrency` and streams across the
 * five columns, then checks the provider's per-key counters against what each column sent.
 */
export async function measurePeers(
  stack: Stack,
  options: BenchOptions,
  context: { bins: PeerBins; progress: (message: string) => void },
): Promise<PeersReport> {
  const { bins, progress } = context;
  progress('peers: starting Portkey and LiteLLM against the same fake provider');
  const portkey = await startPortkey(stack.fake, bins.portkey);
  const litellm = await startLitellm(stack.fake, stack.dir, bins.litellm);
  const native = await startNative(stack, options);
  try {
    const direct = await stack.envoys.direct.listenerPort('ingress');
    const gateway = await stack.envoys.gateway.listenerPort('ingress');
    const frames = options.frames;
    const cols = [
      column(
        'direct',
        { port: direct, pids: () => [stack.envoys.direct.pid], headers: {} },
        frames,
      ),
      column(
        'aigw',
        {
          port: gateway,
          pids: () => [stack.envoys.gateway.pid, ...stack.extprocPids()],
          headers: {},
        },
        frames,
      ),
      column(
        'native',
        { port: await native.listenerPort('ingress'), pids: () => [native.pid], headers: {} },
        frames,
      ),
      column('portkey', portkey, frames),
      column('litellm', litellm, frames),
    ];
    const before = (await stack.fake.stats()).byKey;
    const c = options.concurrencies[0] ?? 16;
    progress(`peers: c=1, c=${String(c)} and streams, alternating the five targets`);
    await phases(cols, options, c);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = (await stack.fake.stats()).byKey;
    for (const col of cols) {
      const f = col.figures;
      f.rss.afterLoad = sumRss(col.pids());
      const key = peerKeys[f.name];
      f.forwarded = (after[key] ?? 0) - (before[key] ?? 0);
      const sent = f.lane.sent.json + f.lane.sent.streams;
      if (f.forwarded !== sent)
        f.lane.errors.add(
          `verify: the provider saw ${String(f.forwarded)} requests with ${f.name}'s key, sent ${String(sent)}`,
        );
    }
    return {
      concurrency: c,
      rounds: options.rounds,
      versions: versions(bins),
      columns: cols.map((col) => col.figures),
      errors: Object.fromEntries(
        cols.map((col) => [
          `peers ${col.figures.name}`,
          Object.fromEntries(col.figures.lane.errors.entries()),
        ]),
      ),
    };
  } finally {
    await portkey.proc.stop();
    await litellm.proc.stop();
    await native.stop();
  }
}

type Cell = (f: PeerFigures) => number;

const figureRows: readonly { label: string; unit: string; of: Cell; isLowerBetter: boolean }[] = [
  { label: 'c=1: latency p50', unit: 'ms', of: (f) => percentile(f.c1Ms, 50), isLowerBetter: true },
  { label: 'c=1: latency p99', unit: 'ms', of: (f) => percentile(f.c1Ms, 99), isLowerBetter: true },
  {
    label: 'c=1: gateway CPU per request',
    unit: 'µs',
    of: (f) => (1000 * f.cpuMs.c1) / Math.max(1, f.c1Ms.length),
    isLowerBetter: true,
  },
  {
    label: 'c=N: throughput',
    unit: 'req/s',
    of: (f) => (1000 * f.loop.requests) / Math.max(1, f.loop.elapsedMs),
    isLowerBetter: false,
  },
  {
    label: 'c=N: latency p99',
    unit: 'ms',
    of: (f) => percentile(f.loop.latencyMs, 99),
    isLowerBetter: true,
  },
  {
    label: 'c=N: gateway CPU per request',
    unit: 'µs',
    of: (f) => (1000 * f.cpuMs.loop) / Math.max(1, f.loop.requests),
    isLowerBetter: true,
  },
  {
    label: 'streaming c=1: TTFT p50',
    unit: 'ms',
    of: (f) => percentile(f.ttftMs, 50),
    isLowerBetter: true,
  },
  {
    label: 'streaming c=1: TTFT p99',
    unit: 'ms',
    of: (f) => percentile(f.ttftMs, 99),
    isLowerBetter: true,
  },
  {
    label: 'RSS before the phase (aigw: after the main suite)',
    unit: 'MiB',
    of: (f) => f.rss.idle,
    isLowerBetter: true,
  },
  { label: 'RSS under load (max)', unit: 'MiB', of: (f) => f.rss.underLoad, isLowerBetter: true },
  { label: 'RSS after load (~1 s)', unit: 'MiB', of: (f) => f.rss.afterLoad, isLowerBetter: true },
];

function fmt(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'ms') return value.toFixed(3);
  if (unit === 'MiB') return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}

/** The peers table (markdown): one column per gateway, then ours against each peer. */
export function peersMarkdown(report: PeersReport): string {
  const cols = report.columns;
  const ours = cols.find((f) => f.name === 'aigw');
  const peers = cols.filter((f) => f.name === 'portkey' || f.name === 'litellm');
  const header = ['Figure', ...cols.map((f) => f.label), ...peers.map((p) => `aigw / ${p.label}`)];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| --- | ${header
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  const c = String(report.concurrency);
  for (const row of figureRows) {
    const label = row.label.replace('c=N', `c=${c}`);
    const values = cols.map((f) => fmt(row.of(f), row.unit));
    const ratios = peers.map((p) => {
      if (!ours) return '—';
      const ratio = row.of(ours) / row.of(p);
      return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '—';
    });
    lines.push(`| ${label} (${row.unit}) | ${[...values, ...ratios].join(' | ')} |`);
  }
  const forwarded = cols
    .map(
      (f) => `${f.label} ${String(f.forwarded)}/${String(f.lane.sent.json + f.lane.sent.streams)}`,
    )
    .join(', ');
  const errors = Object.entries(report.errors).flatMap(([lane, kinds]) =>
    Object.entries(kinds).map(([kind, count]) => `${lane}: ${kind} × ${String(count)}`),
  );
  const streamNotes = cols
    .filter((f) => f.streamFailure !== undefined)
    .map(
      (f) =>
        `${f.label}: its first stream failed (${f.streamFailure ?? ''}), so its streams are not measured`,
    );
  return [
    `Peers: Portkey gateway ${report.versions.portkey ?? '?'} (npm), LiteLLM proxy ${report.versions.litellm ?? '?'} (PyPI); ` +
      `each phase in ${String(report.rounds)} slices alternating the five targets. "Envoy direct" RSS and CPU are Envoy's, the native path's too; ` +
      `aigw's are Envoy's + the extproc's; a peer's are its own process's. Lower is better except throughput; a ratio below 1 ` +
      `is aigw ahead, except for throughput.`,
    lines.join('\n'),
    ...(streamNotes.length > 0 ? [`Streaming: ${streamNotes.join('; ')}.`] : []),
    `Forwarded (requests the fake provider saw with each target's key / requests sent): ${forwarded}.`,
    errors.length === 0 ? 'Errors: none.' : `Errors:\n\n${errors.map((e) => `- ${e}`).join('\n')}`,
  ].join('\n\n');
}
