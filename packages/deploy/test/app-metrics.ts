import { pathToFileURL } from 'node:url';

import { repoPath } from '../src/paths.js';

/** One Prometheus series name an app exports, with the labels its samples carry. */
export interface ExportedSeries {
  readonly app: string;
  readonly labels: ReadonlySet<string>;
}

/** A prom-client metric as `Registry.getMetricsAsArray()` returns it. */
interface PromClientMetric {
  readonly name: string;
  readonly type: string;
  readonly labelNames?: readonly string[];
}

interface WithRegistry {
  readonly registry: { getMetricsAsArray(): readonly PromClientMetric[] };
}

/**
 * Loads one of the apps' modules by path, as app-rbac.ts does: no workspace imports an app
 * (CONVENTIONS §1), and the tests only read what the apps define.
 */
async function load<T>(relativePath: string): Promise<T> {
  return (await import(pathToFileURL(repoPath(relativePath)).href)) as T;
}

/**
 * The registry of each app's `/metrics`, built by the apps' own metric classes (the ones their
 * `/metrics` endpoints serve, process metrics included).
 */
async function registries(): Promise<Map<string, WithRegistry>> {
  const { GenAiMetrics } = await load<{ GenAiMetrics: new () => WithRegistry }>(
    'apps/extproc/src/observability/metrics.ts',
  );
  const { RateLimitStats } = await load<{ RateLimitStats: new () => unknown }>(
    'apps/ratelimit/src/limiter/limit-stats.ts',
  );
  const { RateLimitMetrics } = await load<{
    RateLimitMetrics: new (stats: unknown, isStoreUp: () => boolean) => WithRegistry;
  }>('apps/ratelimit/src/prometheus.ts');
  const { ControllerMetrics } = await load<{
    ControllerMetrics: new (options: { leaseName: string }) => WithRegistry;
  }>('apps/controller/src/runtime/metrics.ts');
  const { ExtensionServerMetrics } = await load<{
    ExtensionServerMetrics: new (routes: () => { size: number; isSynced: boolean }) => WithRegistry;
  }>('apps/extension-server/src/metrics.ts');
  const { WebhookMetrics } = await load<{ WebhookMetrics: new () => WithRegistry }>(
    'apps/webhook/src/metrics.ts',
  );
  return new Map<string, WithRegistry>([
    ['extproc', new GenAiMetrics()],
    ['ratelimit', new RateLimitMetrics(new RateLimitStats(), () => true)],
    ['controller', new ControllerMetrics({ leaseName: 'aigw-test' })],
    ['extension-server', new ExtensionServerMetrics(() => ({ size: 0, isSynced: false }))],
    ['webhook', new WebhookMetrics()],
  ]);
}

/**
 * Every series name the apps export (a histogram as its `_bucket`, `_sum` and `_count`), with the
 * app and the labels. A name two apps export (none today) keeps the first app and both label sets.
 */
export async function exportedSeries(): Promise<Map<string, ExportedSeries>> {
  const out = new Map<string, ExportedSeries>();
  const add = (name: string, app: string, labels: readonly string[]): void => {
    const known = out.get(name);
    out.set(name, {
      app: known?.app ?? app,
      labels: new Set([...(known?.labels ?? []), ...labels]),
    });
  };
  for (const [app, { registry }] of await registries()) {
    for (const metric of registry.getMetricsAsArray()) {
      const labels = metric.labelNames ?? [];
      if (metric.type === 'histogram') {
        add(`${metric.name}_bucket`, app, [...labels, 'le']);
        add(`${metric.name}_sum`, app, labels);
        add(`${metric.name}_count`, app, labels);
      } else {
        add(metric.name, app, labels);
      }
    }
  }
  return out;
}
