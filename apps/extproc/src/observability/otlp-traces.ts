import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import {
  startOtlpTracing,
  type OtlpTracesSettings,
  type OtlpTracing,
} from '@aigw/service-kit/otel';
import {
  measure,
  modelCaps,
  providerName,
  type GenAiObservation,
  type ModelCaps,
  type RequestMetrics,
} from './observation.js';

/** W3C trace context: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/**
 * The parent context of a client's `traceparent` header; the root context when it has none, or
 * one that is malformed or all zeros (a new trace then starts).
 */
export function parentContext(traceparent: string | undefined): Context {
  const match = traceparentPattern.exec(traceparent?.trim().toLowerCase() ?? '');
  if (!match) return ROOT_CONTEXT;
  const [, traceId = '', spanId = '', flags = '00'] = match;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Text of one streamed event's JSON: an OpenAI chunk's delta, or an Anthropic text delta. */
function deltaText(event: unknown): string {
  if (!isRecord(event)) return '';
  const [choice] = Array.isArray(event.choices) ? (event.choices as unknown[]) : [];
  if (isRecord(choice) && isRecord(choice.delta) && typeof choice.delta.content === 'string')
    return choice.delta.content;
  if (isRecord(event.delta) && typeof event.delta.text === 'string') return event.delta.text;
  return '';
}

/** The assistant's text of a whole JSON answer (OpenAI choices, Anthropic content blocks). */
function answerText(json: Record<string, unknown>): string | undefined {
  if (Array.isArray(json.choices)) {
    return (json.choices as unknown[])
      .map((c) => (isRecord(c) && isRecord(c.message) ? c.message.content : undefined))
      .filter((t): t is string => typeof t === 'string')
      .join('');
  }
  if (Array.isArray(json.content)) {
    return (json.content as unknown[])
      .map((b) => (isRecord(b) && typeof b.text === 'string' ? b.text : ''))
      .join('');
  }
  return undefined;
}

/**
 * The response as `gen_ai.output.messages` (only with content capture on): the text of a JSON
 * answer, or of a stream's deltas (OpenAI `choices[].delta.content`, Anthropic `text_delta`);
 * what was kept of it (at most 64 KiB).
 */
export function outputMessages(content: Uint8Array | undefined): Attributes {
  if (!content || content.byteLength === 0) return {};
  const text = Buffer.from(content).toString('utf8');
  let answer: string | undefined;
  try {
    const json: unknown = JSON.parse(text);
    answer = isRecord(json) ? answerText(json) : undefined;
  } catch {
    answer = text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => {
        try {
          return deltaText(JSON.parse(line.slice(5)));
        } catch {
          return '';
        }
      })
      .join('');
  }
  return answer === undefined
    ? {}
    : { 'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content: answer }]) };
}

/** The request messages as `gen_ai.input.messages` (only with content capture on). */
function inputMessages(observation: GenAiObservation): Attributes {
  const body = observation.request?.body;
  if (!body) return {};
  const messages = body.messages ?? body.input ?? body.prompt;
  return messages === undefined ? {} : { 'gen_ai.input.messages': JSON.stringify(messages) };
}

/**
 * The request spans over OTLP, one per request with one child per upstream attempt (retries and
 * fallbacks), after the GenAI semantic conventions: the request span `"{operation} {model}"`
 * (kind SERVER, parent the client's `traceparent`), each attempt span the same name with the
 * model sent upstream (kind CLIENT) and its backend and provider. Built when the request ends,
 * from the times the extproc noted, so a request costs nothing until then. No prompt text is
 * recorded unless content capture is on.
 */
export class OtlpGenAiTraces implements RequestMetrics {
  readonly #tracing: OtlpTracing;
  readonly #tracer: Tracer;
  readonly #caps: ModelCaps;
  readonly #captureContent: boolean;
  /** With capture on, the router keeps the response bytes for {@link outputMessages}. */
  readonly wantsContent: boolean;

  private constructor(tracing: OtlpTracing, captureContent: boolean) {
    this.#tracing = tracing;
    this.#tracer = tracing.tracer;
    // Span names carry the model too: capped like the metrics' attributes.
    this.#caps = modelCaps();
    this.#captureContent = captureContent;
    this.wantsContent = captureContent;
  }

  /** Starts the batched export of `settings`. */
  static async start(settings: OtlpTracesSettings): Promise<OtlpGenAiTraces> {
    const tracing = await startOtlpTracing(settings, 'aigw-extproc');
    return new OtlpGenAiTraces(tracing, settings.captureContent);
  }

  record(observation: GenAiObservation): void {
    const m = measure(observation, this.#caps);
    const endMs = observation.startedAtMs + observation.durationSeconds * 1000;
    const usage = observation.usage;
    const attributes: Attributes = {
      'gen_ai.operation.name': m.operation,
      'gen_ai.provider.name': m.provider,
      'gen_ai.request.model': m.requestModel,
      'gen_ai.response.model': m.responseModel,
      'aigw.route': m.route,
      'aigw.backend': m.backend,
      'aigw.attempts': observation.attempts.length,
      'http.response.status_code': observation.status,
      ...(usage
        ? {
            'gen_ai.usage.input_tokens': usage.inputTokens,
            'gen_ai.usage.output_tokens': usage.outputTokens,
          }
        : {}),
      ...(m.errorType === '' ? {} : { 'error.type': m.errorType }),
      ...(this.#captureContent
        ? { ...inputMessages(observation), ...outputMessages(observation.responseContent) }
        : {}),
    };
    const span = this.#tracer.startSpan(
      `${m.operation} ${m.requestModel}`,
      { kind: SpanKind.SERVER, startTime: observation.startedAtMs, attributes },
      parentContext(observation.traceparent),
    );
    if (m.errorType !== '') span.setStatus({ code: SpanStatusCode.ERROR });
    const parent = trace.setSpan(ROOT_CONTEXT, span);
    observation.attempts.forEach((attempt, i) => {
      const next = observation.attempts[i + 1];
      const isLast = next === undefined;
      const child = this.#tracer.startSpan(
        `${m.operation} ${m.responseModel}`,
        {
          kind: SpanKind.CLIENT,
          startTime: attempt.startedAtMs,
          attributes: {
            'gen_ai.operation.name': m.operation,
            'gen_ai.provider.name': providerName(attempt.schema),
            'aigw.backend': attempt.backend,
            'aigw.attempt': i + 1,
          },
        },
        parent,
      );
      // An attempt followed by another failed (Envoy retried it); the last one ended as the request.
      if (!isLast || m.errorType !== '') child.setStatus({ code: SpanStatusCode.ERROR });
      child.end(isLast ? endMs : next.startedAtMs);
    });
    span.end(endMs);
  }

  /** Exports the pending spans and stops (graceful shutdown). */
  async shutdown(): Promise<void> {
    await this.#tracing.shutdown();
  }
}
