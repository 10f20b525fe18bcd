/** The OTLP protocols of the spec's `OTEL_EXPORTER_OTLP_PROTOCOL`. */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

/** How the GenAI metrics go out over OTLP, read from the standard `OTEL_*` variables. */
export interface OtlpMetricsSettings {
  readonly protocol: OtlpProtocol;
  /** `OTEL_METRIC_EXPORT_INTERVAL` (ms; the spec's default 60,000). */
  readonly intervalMs: number;
  /** `OTEL_SERVICE_NAME` (default `aigw-extproc`). */
  readonly serviceName: string;
}

/** A bad `OTEL_*` value: the extproc refuses to start rather than export nowhere. */
export class OtlpSettingsError extends Error {
  override readonly name = 'OtlpSettingsError';
  readonly code = 'invalid-otel-env';
}

type Env = Readonly<Record<string, string | undefined>>;

const protocols: readonly OtlpProtocol[] = ['grpc', 'http/protobuf', 'http/json'];

function isOn(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_METRICS_EXPORTER ?? '').split(',').map((e) => e.trim().toLowerCase());
  if (exporters.includes('none')) return false;
  // Off by default: on when asked for by name, or when an OTLP endpoint is configured.
  return (
    exporters.includes('otlp') ||
    Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim()) ||
    Boolean(env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim())
  );
}

/**
 * The OTLP settings of the GenAI metrics, or undefined when OTLP metrics are off: they are on when
 * `OTEL_METRICS_EXPORTER` names `otlp` or an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) is set, and off with `OTEL_SDK_DISABLED=true` or
 * `OTEL_METRICS_EXPORTER=none`. Endpoint, headers, timeout, compression and TLS are read by the
 * OpenTelemetry exporter itself from the same variables.
 */
export function otlpMetricsSettings(env: Env): OtlpMetricsSettings | undefined {
  if (!isOn(env)) return undefined;
  const rawProtocol = (
    env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf'
  ).trim();
  const protocol = protocols.find((p) => p === rawProtocol);
  if (!protocol) {
    throw new OtlpSettingsError(
      `OTEL_EXPORTER_OTLP_PROTOCOL: '${rawProtocol}' is not one of ${protocols.join(', ')}`,
    );
  }
  const rawInterval = env.OTEL_METRIC_EXPORT_INTERVAL?.trim();
  const intervalMs = rawInterval ? Number(rawInterval) : 60_000;
  if (!Number.isInteger(intervalMs) || intervalMs <= 0) {
    throw new OtlpSettingsError(
      `OTEL_METRIC_EXPORT_INTERVAL: '${rawInterval ?? ''}' is not a positive whole number of milliseconds`,
    );
  }
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || 'aigw-extproc';
  return { protocol, intervalMs, serviceName };
}
