import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  spawnManaged,
  startOtelCollector,
  useHarness,
  waitFor,
  type ManagedProcess,
  type OtelCollector,
} from '@aigw/testkit';
import { gatewayBootstrap } from './support/gateway-bootstrap.js';
import { grpcServing } from './support/grpc-health.js';
import {
  twoProviders,
  twoProviderTraffic,
  twoProviderUsage,
  type TwoProviders,
} from './support/two-providers.js';

/**
 * The extproc's GenAI metrics over OTLP into a real OpenTelemetry Collector (built by
 * `scripts/build-otelcol.sh`: OTLP receiver, file exporter), over OTLP/HTTP (protobuf) and over
 * OTLP/gRPC, configured only by the standard `OTEL_*` variables of the real extproc process
 * (`apps/extproc/dist/bin.js`); traffic through real Envoy from the official `openai` client to
 * two providers (OpenAI passthrough, Anthropic translated), streamed and not.
 */
const harness = useHarness();
const models = { openai: 'gpt-o', anthropic: 'claude-o' };
const { openai: openaiUsage, anthropic: anthropicUsage } = twoProviderUsage;

/** The parts of an OTLP/JSON export request (the file exporter's lines) the test reads. */
interface OtlpAttribute {
  readonly key: string;
  readonly value: Readonly<Record<string, string | number | boolean | undefined>>;
}
interface OtlpDataPoint {
  readonly attributes?: readonly OtlpAttribute[];
  readonly count?: string | number;
  readonly sum?: number;
  readonly explicitBounds?: readonly number[];
}
interface OtlpMetric {
  readonly name: string;
  readonly unit?: string;
  readonly histogram?: { readonly dataPoints?: readonly OtlpDataPoint[] };
}
interface OtlpResourceMetrics {
  readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
  readonly scopeMetrics?: readonly { readonly metrics?: readonly OtlpMetric[] }[];
}

/** An OTLP/JSON attribute list as an object (`{key, value: {stringValue}}` → key: value). */
function attributesOf(list: readonly OtlpAttribute[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of list ?? []) {
    const v = a.value;
    out[a.key] = String(v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue ?? '');
  }
  return out;
}

interface Point {
  readonly metric: string;
  readonly unit: string;
  readonly service: string;
  readonly attributes: Record<string, string>;
  readonly count: number;
  readonly sum: number;
  readonly bounds: readonly number[];
}

function pointsOf(rm: OtlpResourceMetrics): Point[] {
  const service = attributesOf(rm.resource?.attributes)['service.name'] ?? '';
  const metrics = (rm.scopeMetrics ?? []).flatMap((sm) => sm.metrics ?? []);
  return metrics.flatMap((m) =>
    (m.histogram?.dataPoints ?? []).map((dp) => ({
      metric: m.name,
      unit: m.unit ?? '',
      service,
      attributes: attributesOf(dp.attributes),
      count: Number(dp.count),
      sum: Number(dp.sum),
      bounds: (dp.explicitBounds ?? []).map(Number),
    })),
  );
}

/** Every histogram data point the collector wrote (cumulative: the latest export per series wins). */
function histogramPoints(collector: OtelCollector): Point[] {
  const latest = new Map<string, Point>();
  const lines = collector.exports() as { resourceMetrics?: OtlpResourceMetrics[] }[];
  for (const point of lines.flatMap((line) => (line.resourceMetrics ?? []).flatMap(pointsOf)))
    latest.set(JSON.stringify([point.service, point.metric, point.attributes]), point);
  return [...latest.values()];
}

function total(points: readonly Point[], metric: string, attrs: Record<string, string>): Point[] {
  return points.filter(
    (p) => p.metric === metric && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v),
  );
}

const sumOf = (points: readonly Point[]): number => points.reduce((n, p) => n + p.sum, 0);
const countOf = (points: readonly Point[]): number => points.reduce((n, p) => n + p.count, 0);

describe('GenAI metrics over OTLP into a real OpenTelemetry Collector', () => {
  let collector: OtelCollector;
  let dir: string;
  let providers: TwoProviders;
  const extprocs: ManagedProcess[] = [];

  beforeAll(async () => {
    dir = harness.tempDir('otel');
    collector = await startOtelCollector({ dir });
    providers = await twoProviders(harness, { dir, route: 'otel', models });
    const config = providers.config;
    writeFileSync(join(dir, 'filter-config.yaml'), JSON.stringify(config));
  });

  afterAll(async () => {
    for (const extproc of extprocs) await extproc.stop();
    await collector.stop();
  });

  /** The real extproc with `env`, and Envoy in front of it; returns an openai client. */
  async function gateway(name: string, env: Record<string, string>): Promise<OpenAI> {
    const socket = join(dir, `${name}.sock`);
    const extproc = await spawnManaged(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'apps', 'extproc', 'dist', 'bin.js'),
        ...['--address', `unix:${socket}`, '--config', join(dir, 'filter-config.yaml')],
        ...['--log-level', 'warn'],
      ],
      { name: `extproc-${name}`, env: { OTEL_METRIC_EXPORT_INTERVAL: '300', ...env } },
    );
    extprocs.push(extproc);
    await extproc.untilReady(() => grpcServing(`unix:${socket}`), {
      timeoutMs: 20_000,
      description: 'extproc gRPC health SERVING',
    });
    const envoy = await harness.envoy({
      bootstrap: gatewayBootstrap({
        extprocSocket: socket,
        accessLogPath: join(dir, `${name}-access.log`),
        backends: providers.backends,
      }),
    });
    return new OpenAI({
      apiKey: 'client-key',
      baseURL: `${await envoy.listenerUrl('ingress')}/v1`,
      maxRetries: 0,
    });
  }

  for (const protocol of ['http/protobuf', 'grpc'] as const) {
    it(`exports the four GenAI histograms with the conventions' names and attributes (${protocol})`, async () => {
      const service = `aigw-extproc-${protocol.replace('/', '-')}`;
      const endpoint = protocol === 'grpc' ? collector.grpcEndpoint : collector.httpEndpoint;
      const client = await gateway(protocol.replace('/', '-'), {
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_SERVICE_NAME: service,
      });
      await twoProviderTraffic(client, models);
      // 3 non-streamed + 2 streamed requests: wait until the collector has all five durations.
      const points = await waitFor(
        () => {
          const all = histogramPoints(collector).filter((p) => p.service === service);
          return countOf(total(all, 'gen_ai.server.request.duration', {})) === 5 ? all : undefined;
        },
        { timeoutMs: 15_000, description: `five request durations from ${service}` },
      );
      const openai = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-o' };
      const anthropic = { 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-o' };
      const tokens = 'gen_ai.client.token.usage';
      // Token sums equal what the fake providers reported: 3 OpenAI requests, 2 Anthropic.
      expect(sumOf(total(points, tokens, { ...openai, 'gen_ai.token.type': 'input' }))).toBe(
        3 * openaiUsage.prompt,
      );
      expect(sumOf(total(points, tokens, { ...openai, 'gen_ai.token.type': 'output' }))).toBe(
        3 * openaiUsage.completion,
      );
      expect(sumOf(total(points, tokens, { ...openai, 'gen_ai.token.type': 'cached_input' }))).toBe(
        3 * openaiUsage.cached,
      );
      expect(sumOf(total(points, tokens, { ...anthropic, 'gen_ai.token.type': 'input' }))).toBe(
        2 * anthropicUsage.input,
      );
      expect(sumOf(total(points, tokens, { ...anthropic, 'gen_ai.token.type': 'output' }))).toBe(
        2 * anthropicUsage.output,
      );
      const durations = total(points, 'gen_ai.server.request.duration', {});
      expect(countOf(durations)).toBe(5);
      for (const p of durations) {
        expect(p.unit).toBe('s');
        expect(p.attributes).toMatchObject({
          'gen_ai.operation.name': 'chat',
          'aigw.backend': expect.stringMatching(/^default\/(openai|anthropic)$/) as unknown,
        });
        expect(p.attributes['error.type']).toBeUndefined();
        expect(p.bounds).toContain(0.01);
      }
      // One time to first token per stream, per provider.
      expect(countOf(total(points, 'gen_ai.server.time_to_first_token', openai))).toBe(1);
      expect(countOf(total(points, 'gen_ai.server.time_to_first_token', anthropic))).toBe(1);
      expect(total(points, tokens, {})[0]?.unit).toBe('{token}');
    });
  }
});
