// Config delivery benchmark: how long from writing a Gateway's config Secrets to a running
// extproc serving the new config, through a real kube-apiserver and the extproc's watch.
//
//   node --import tsx --conditions=@aigw/source apps/extproc/bench/config-delivery.ts [edits]
//
// For a small config and for a 2,000-route config (2 backends per route), it writes `edits`
// (default 100) changes the way the controller writes them (the parts, then the index) and
// measures, per edit, the time from the start of the first write to the first request that the
// extproc answers with the new config (probed over gRPC in a tight loop). Prints p50/p99/max.
// Figures, not a test: nothing is asserted.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import type { FilterConfigInput } from '@aigw/filterapi';
import { configSecretNames, configSecrets, type ConfigSecret } from '@aigw/gateway-config';
import { extProc } from '@aigw/proto';
import {
  removeTempDir,
  spawnManaged,
  startKubeApiServer,
  tempDir,
  waitFor,
  type KubeApiServer,
} from '@aigw/testkit';
import { commonOf, envoy, ProcessStream, setHeadersOf } from '../test/support/ext-proc-harness.js';

const edits = Number(process.argv[2] ?? '100');
const namespace = 'envoy-gateway-system';
const gateway = { gatewayNamespace: 'default', gatewayName: 'gw' };
const appDir = fileURLToPath(new URL('..', import.meta.url));

/** A config of `routes` routes (2 backends each, inline keys) that routes gpt-a to `cluster`. */
function configOf(routes: number, cluster: string): FilterConfigInput {
  const indexes = Array.from({ length: routes }, (_, i) => i);
  return {
    version: 'v1',
    routes: {
      rules: [
        { models: ['gpt-a'], cluster },
        ...indexes.map((i) => ({
          models: [`model-${String(i)}`],
          cluster: `cluster-${String(i)}`,
        })),
      ],
    },
    backends: indexes.flatMap((i) =>
      [0, 1].map((j) => ({
        name: `team-${String(i % 50)}/backend-${String(i)}-${String(j)}/route/route-${String(i)}/rule/0/ref/${String(j)}`,
        schema: { name: 'OpenAI' as const, prefix: 'v1' },
        auth: { apiKey: { key: `sk-${String(i)}-${String(j)}-${'k'.repeat(48)}` } },
        headerMutation: { set: [{ name: 'x-team', value: `team-${String(i % 50)}` }] },
      })),
    ),
    models: indexes.map((i) => ({ name: `model-${String(i)}`, createdAt: '2026-01-01T00:00:00Z' })),
    llmRequestCosts: indexes.map((i) => ({
      metadataKey: 'llm_total_token',
      type: 'TotalToken' as const,
      routeName: `team-${String(i % 50)}/route-${String(i)}`,
    })),
  };
}

async function put(kube: KubeApiServer, secret: ConfigSecret): Promise<void> {
  const path = `/api/v1/namespaces/${namespace}/secrets`;
  const res = await kube.request(`${path}/${secret.metadata.name}`, {
    method: 'PUT',
    body: secret,
  });
  if (res.status === 404) {
    const created = await kube.request(path, { method: 'POST', body: secret });
    if (created.status >= 300) throw new Error(`create ${secret.metadata.name}: ${created.body}`);
  } else if (res.status >= 300) {
    throw new Error(`update ${secret.metadata.name}: ${res.body}`);
  }
}

async function publish(kube: KubeApiServer, config: FilterConfigInput): Promise<void> {
  const result = configSecrets({ ...gateway, secretNamespace: namespace, filterConfig: config });
  for (const secret of result.secrets) await put(kube, secret);
}

async function clusterOfGptA(client: extProc.ExternalProcessorClient): Promise<string | undefined> {
  const s = new ProcessStream(client.process());
  await s.send(envoy.post('/v1/chat/completions'));
  const response = await s.send(envoy.requestBody({ model: 'gpt-a', messages: [] }));
  s.end();
  await s.status;
  return setHeadersOf(commonOf(response, 'requestBody').headerMutation)['x-ai-eg-cluster'];
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function measure(kube: KubeApiServer, dir: string, routes: number): Promise<void> {
  const label = `${String(routes)} routes`;
  await publish(kube, configOf(routes, 'c-0'));
  const socket = join(dir, `extproc-${String(routes)}.sock`);
  const proc = await spawnManaged(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@aigw/source',
      'src/bin.ts',
      `--address=unix:${socket}`,
      `--config-secret=${configSecretNames(gateway)[0] ?? ''}`,
      `--config-namespace=${namespace}`,
      `--kubeconfig=${kube.kubeconfigPath}`,
      '--log-level=warn',
    ],
    { name: `extproc-${label}`, cwd: appDir },
  );
  const client = new extProc.ExternalProcessorClient(
    `unix:${socket}`,
    credentials.createInsecure(),
  );
  try {
    await waitFor(async () => (await clusterOfGptA(client)) === 'c-0', {
      timeoutMs: 60_000,
      description: `${label}: first config served`,
    });
    const text = JSON.stringify(configOf(routes, 'c-0'));
    const bundle = configSecrets({
      ...gateway,
      secretNamespace: namespace,
      filterConfig: configOf(routes, 'c-0'),
    });
    const parts = bundle.secrets.filter((s) => s.metadata.name.includes('-part-')).length;
    const latencies: number[] = [];
    for (let i = 1; i <= edits; i++) {
      const cluster = `c-${String(i)}`;
      const started = performance.now();
      await publish(kube, configOf(routes, cluster));
      await waitFor(async () => (await clusterOfGptA(client)) === cluster, {
        timeoutMs: 60_000,
        intervalMs: 1,
        description: `${label}: edit ${String(i)} served`,
      });
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const ms = (v: number): string => `${v.toFixed(0)} ms`;
    console.log(
      `${label}: config ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB in ${String(parts)} part(s); ` +
        `${String(edits)} edits, change-to-applied p50 ${ms(percentile(latencies, 50))}, ` +
        `p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? Number.NaN)}`,
    );
  } finally {
    client.close();
    await proc.stop();
  }
}

const kube = await startKubeApiServer({ name: 'bench-kube' });
const dir = tempDir('bench-config-delivery');
try {
  const ns = await kube.request('/api/v1/namespaces', {
    method: 'POST',
    body: { metadata: { name: namespace } },
  });
  if (ns.status >= 300) throw new Error(`namespace: ${ns.body}`);
  await measure(kube, dir, 1);
  await measure(kube, dir, 2000);
} finally {
  await kube.stop();
  await removeTempDir(dir);
}
