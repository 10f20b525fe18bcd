/**
 * What the OpenTelemetry Collector of the tests received, read from its file exporter's output
 * (one OTLP/JSON export request per line), for `pnpm bench --observability`'s checks.
 */
import { existsSync, readFileSync } from 'node:fs';

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

/**
 * The file exporter's complete lines. Read here rather than with the collector's `exports()`: the
 * exporter writes a long line in pieces, and a read in between sees a partial last line (which
 * `exports()` fails to parse), so only lines that end with a newline count.
 */
function exportLines(output: string): OtlpLine[] {
  if (!existsSync(output)) return [];
  const lines = readFileSync(output, 'utf8').split('\n');
  lines.pop();
  return lines.filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as OtlpLine);
}

/** What the collector holds from `service` (one export request per line). */
export function received(output: string, service: string): Received {
  let metricExports = 0;
  let spanExports = 0;
  let requests = 0;
  let serverSpans = 0;
  let clientSpans = 0;
  for (const line of exportLines(output)) {
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
