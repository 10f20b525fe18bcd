/**
 * OpenTelemetry over OTLP for every app, configured only by the standard `OTEL_*` variables: the
 * settings of each signal (off unless asked for), and a tracer provider whose SDK and exporter are
 * loaded only when traces are on (`@aigw/service-kit/otel`; docs/observability.md).
 */
import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace';

/** The OTLP protocols of the spec's `OTEL_EXPORTER_OTLP_PROTOCOL`. */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

/** How metrics go out over OTLP, read from the standard `OTEL_*` variables. */
export interface OtlpMetricsSettings {
  readonly protocol: OtlpProtocol;
  /** `OTEL_METRIC_EXPORT_INTERVAL` (ms; the spec's default 60,000). */
  readonly intervalMs: number;
  /** `OTEL_SERVICE_NAME`, else the app's own name. */
  readonly serviceName: string;
}

/** A bad `OTEL_*` value: the app refuses to start rather than export nowhere. */
export class OtlpSettingsError extends Error {
  override readonly name = 'OtlpSettingsError';
  readonly code = 'invalid-otel-env';
}

type Env = Readonly<Record<string, string | undefined>>;

const protocols: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

/** The signals the extproc exports over OTLP, and their variables' names. */
const signals = {
  metrics: { exporter: 'OTEL_METRICS_EXPORTER', key: 'METRICS' },
  traces: { exporter: 'OTEL_TRACES_EXPORTER', key: 'TRACES' },
} as const;
type Signal = keyof typeof signals;

function isOn(env: Env, signal: Signal): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env[signals[signal].exporter] ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  // Off by default: on when asked for by name, or when an OTLP endpoint is configured.
  return (
    exporters.includes('otlp') ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) ||
    Boolean(env[`OTEL_EXPORTER_OTLP_${signals[signal].key}_ENDPOINT`]?.trim())
  );
}

/** The protocol of a signal: its own variable, else the general one, else `http/protobuf`. */
function protocolOf(env: Env, signal: Signal): OtlpProtocol {
  const name = `OTEL_EXPORTER_OTLP_${signals[signal].key}_PROTOCOL`;
  const raw = (env[name] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  const protocol = protocols.find((p) => p === raw);
  if (!protocol) {
    throw new OtlpSettingsError(
      `OTEL_EXPORTER_OTLP_PROTOCOL: '${raw}' is not one of ${protocols.join(', ')}`,
    );
  }
  return protocol;
}

const serviceNameOf = (env: Env, app: string): string => env.OTEL_SERVICE_NAME?.trim() || app;

/**
 * The OTLP settings of the GenAI metrics, or undefined when OTLP metrics are off: they are on when
 * `OTEL_METRICS_EXPORTER` names `otlp` or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) is set, and off with `OTEL_SDK_DISABLED=true` or
 * `OTEL_METRICS_EXPORTER=none`. Endpoint, headers, timeout, compression and TLS are read by the
 * OpenTelemetry exporter itself from the same variables.
 */
export function otlpMetricsSettings(env: Env, app: string): OtlpMetricsSettings | undefined {
  if (!isOn(env, 'metrics')) return undefined;
  const protocol = protocolOf(env, 'metrics');
  const rawInterval = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  const intervalMs = rawInterval ? Number(rawInterval) : 60_000;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0) {
    throw new OtlpSettingsError(
      `OTEL_METRIC_EXPORT_INTERVAL: '${rawInterval ?? ''}' is not a positive whole number of milliseconds`,
    );
  }
  return { protocol, intervalMs, serviceName: serviceNameOf(env, app) };
}

/** How the request spans go out over OTLP. */
export interface OtlpTracesSettings {
  readonly protocol: OtlpProtocol;
  readonly serviceName: string;
  /**
   * `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`: the request's messages go into the
   * span (`gen_ai.input.messages`); otherwise no prompt text leaves the process.
   */
  readonly captureContent: boolean;
}

/**
 * The OTLP settings of the request spans, or undefined when traces are off: the same rules as the
 * metrics with `OTEL_TRACES_EXPORTER` and `OTEL_EXPORTER_OTLP_TRACES_*`. The batch processor reads
 * `OTEL_BSP_*` itself.
 */
export function otlpTracesSettings(env: Env, app: string): OtlpTracesSettings | undefined {
  if (!isOn(env, 'traces')) return undefined;
  return {
    protocol: protocolOf(env, 'traces'),
    serviceName: serviceNameOf(env, app),
    captureContent:
      env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT?.trim().toLowerCase() === 'true',
  };
}

/** A tracer exporting over OTLP, and how to flush and stop it. */
export interface OtlpTracing {
  readonly tracer: Tracer;
  /** Exports the pending spans and stops (graceful shutdown). */
  readonly shutdown: () => Promise<void>;
}

/** The OpenTelemetry span exporter of a protocol, loaded only for that protocol. */
async function spanExporterFor(protocol: OtlpProtocol): Promise<SpanExporter> {
  switch (protocol) {
    case 'grpc':
      return new (await import('@opentelemetry/exporter-trace-otlp-grpc')).OTLPTraceExporter();
    case 'http/protobuf':
      return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();
    case 'http/json':
      return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  }
}

/**
 * A tracer provider batching spans to the OTLP exporter of `settings` (the `OTEL_BSP_*` variables
 * tune the batching), named after the service. Loads the SDK: call it only when traces are on.
 */
export async function startOtlpTracing(
  settings: Pick<OtlpTracesSettings, 'protocol' | 'serviceName'>,
  instrumentation: string,
): Promise<OtlpTracing> {
  const [{ BatchSpanProcessor, TracerProvider }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: await spanExporterFor(settings.protocol) }),
    ],
  });
  return {
    tracer: provider.getTracer(instrumentation),
    shutdown: () => provider.shutdown(),
  };
}
