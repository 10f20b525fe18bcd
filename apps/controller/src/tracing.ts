import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { otlpTracesSettings, startOtlpTracing } from '@aigw/service-kit/otel';
import type { Kind } from './runtime/contracts.js';
import type { ProcessedEvent } from './runtime/queue.js';

/** The controller's reconcile spans, and how to flush and stop them. */
export interface ReconcileTracing {
  readonly traceReconcile: (kind: Kind, event: ProcessedEvent) => void;
  readonly shutdown: () => Promise<void>;
}

/**
 * One span per reconcile (`reconcile <Kind>`, attributes the kind, the `namespace/name` key and
 * the outcome; status ERROR with the message when it threw), exported over OTLP when the standard
 * `OTEL_*` variables turn traces on (`@aigw/service-kit/otel`); undefined otherwise, and then the
 * OpenTelemetry SDK is not loaded. Spans are built when the reconcile has ended, from its
 * duration: a reconcile pays nothing while it runs.
 */
export async function startReconcileTracing(
  env: Readonly<Record<string, string | undefined>>,
): Promise<ReconcileTracing | undefined> {
  const settings = otlpTracesSettings(env, 'aigw-controller');
  if (!settings) return undefined;
  const { tracer, shutdown } = await startOtlpTracing(settings, 'aigw-controller');
  return {
    traceReconcile: (kind, event) => {
      const end = Date.now();
      const span = tracer.startSpan(`reconcile ${kind}`, {
        kind: SpanKind.INTERNAL,
        startTime: end - event.durationMs,
        attributes: {
          'aigw.reconcile.kind': kind,
          'aigw.reconcile.key': event.key,
          'aigw.reconcile.outcome': event.outcome,
        },
      });
      if (event.outcome === 'error') {
        const message = event.error instanceof Error ? event.error.message : String(event.error);
        span.setStatus({ code: SpanStatusCode.ERROR, message });
      }
      span.end(end);
    },
    shutdown,
  };
}
