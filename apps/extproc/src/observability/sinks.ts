import type { GenAiMetrics } from './metrics.js';
import { fanOut, type RequestMetrics } from './observation.js';
import { otlpMetricsSettings, otlpTracesSettings } from '@aigw/service-kit/otel';

/** The GenAI metrics and trace sinks a process runs with, and how to stop them. */
export interface MetricsSinks {
  /** The Prometheus registry `GET /metrics` serves (`--admin-port`), if on. */
  readonly prometheus: GenAiMetrics | undefined;
  /** Where finished requests go: Prometheus, OTLP, both, or undefined when both are off. */
  readonly sink: RequestMetrics | undefined;
  /** Flushes pending OTLP exports and stops them. */
  readonly close: () => Promise<void>;
}

/**
 * Starts the sinks that are on: Prometheus with an admin port, OTLP metrics and OTLP request spans
 * when the `OTEL_*` variables ask for them (`@aigw/service-kit/otel`). Each loads its library only when on, so with
 * both off neither prom-client nor the OpenTelemetry SDK is loaded and a request records nothing.
 */
export async function startMetricsSinks(options: {
  readonly hasAdminPort: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
}): Promise<MetricsSinks> {
  const settings = otlpMetricsSettings(options.env, 'aigw-extproc');
  const prometheus = options.hasAdminPort
    ? new (await import('./metrics.js')).GenAiMetrics()
    : undefined;
  const tracing = otlpTracesSettings(options.env, 'aigw-extproc');
  const otlp = settings
    ? await (await import('./otlp.js')).OtlpGenAiMetrics.start(settings)
    : undefined;
  const traces = tracing
    ? await (await import('./otlp-traces.js')).OtlpGenAiTraces.start(tracing)
    : undefined;
  const sinks = [prometheus, otlp, traces].filter(
    (s): s is NonNullable<typeof s> => s !== undefined,
  );
  return {
    prometheus,
    sink: sinks.length === 0 ? undefined : fanOut(sinks),
    close: async () => {
      await Promise.all([otlp?.shutdown(), traces?.shutdown()]);
    },
  };
}
