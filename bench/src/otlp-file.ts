/**
 * What the OpenTelemetry Collector of the tests received (its file exporter's OTLP/JSON export
 * requests, `@aigw/testkit`'s `exports()`: complete lines only), for `pnpm bench
 * --observability`'s checks.
 */

/** What the collector's file exporter holds so far. */
export interface Received {
  readonly metricExports: number;
  readonly spanExports: number;
  /** The largest `gen_ai.server.request.duration` count of one export (cumulative). */
  readonly requestCount: number;
  readonly serverSpans: number;
  readonly clientSpans: number;
}

interface OtlpResource {
  readonly resource?: {
    readonly attributes?: readonly { key: string; value: { stringValue?: string } }[];
  };
}

interface OtlpLine {
  readonly resourceMetrics?: readonly (OtlpResource & {
    readonly scopeMetrics?: readonly {
      readonly metrics?: readonly {
        readonly name: string;
        readonly histogram?: { readonly dataPoints?: readonly { count?: string | number }[] };
      }[];
    }[];
  })[];
  readonly resourceSpans?: readonly (OtlpResource & {
    readonly scopeSpans?: readonly { readonly spans?: readonly { kind?: number }[] }[];
  })[];
}

function isService(of: OtlpResource, service: string): boolean {
  return (of.resource?.attributes ?? []).some(
    (a) => a.key === 'service.name' && a.value.stringValue === service,
  );
}

function durationCount(resources: NonNullable<OtlpLine['resourceMetrics']>): number {
  const metrics = resources
    .flatMap((rm) => rm.scopeMetrics ?? [])
    .flatMap((sm) => sm.metrics ?? [])
    .filter((m) => m.name === 'gen_ai.server.request.duration');
  return metrics
    .flatMap((m) => m.histogram?.dataPoints ?? [])
    .reduce((sum, dp) => sum + Number(dp.count ?? 0), 0);
}

/** What the collector holds from `service` (one export request per line). */
export function received(exports: readonly unknown[], service: string): Received {
  let metricExports = 0;
  let spanExports = 0;
  let requests = 0;
  let serverSpans = 0;
  let clientSpans = 0;
  for (const line of exports as readonly OtlpLine[]) {
    const metrics = (line.resourceMetrics ?? []).filter((rm) => isService(rm, service));
    if (metrics.length > 0) {
      metricExports++;
      requests = Math.max(requests, durationCount(metrics));
    }
    const spans = (line.resourceSpans ?? []).filter((rs) => isService(rs, service));
    if (spans.length === 0) continue;
    spanExports++;
    const kinds = spans.flatMap((rs) =>
      (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((span) => span.kind)),
    );
    // OTLP's SpanKind: 2 SERVER (the request), 3 CLIENT (an upstream attempt).
    serverSpans += kinds.filter((kind) => kind === 2).length;
    clientSpans += kinds.filter((kind) => kind === 3).length;
  }
  return { metricExports, spanExports, requestCount: requests, serverSpans, clientSpans };
}
