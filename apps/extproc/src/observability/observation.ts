import type { BackendSchemaName, Endpoint, ParsedRequest, Usage } from '@aigw/translator';

/** One upstream attempt of a request, as the upstream level saw it start. */
export interface AttemptRecord {
  /** The AIServiceBackend (`namespace/name`) of the attempt. */
  readonly backend: string;
  readonly schema: BackendSchemaName;
  /** When the attempt's request headers reached the upstream level (epoch ms). */
  readonly startedAtMs: number;
}

/**
 * What one finished request (the attempt that answered) tells the GenAI metrics: the OpenTelemetry
 * GenAI semantic conventions' attributes and measurements, as upstream's extproc records them
 * (`internal/metrics/genai.go`).
 */
export interface GenAiObservation {
  readonly endpoint: Endpoint;
  /** The schema of the backend that answered; undefined when none did. */
  readonly schema: BackendSchemaName | undefined;
  /** `gen_ai.request.model`: the model the client asked for. */
  readonly requestModel: string;
  /** `gen_ai.response.model`: what the provider says it used, else the model sent upstream. */
  readonly responseModel: string;
  /** The AIGatewayRoute (`namespace/name`), when Envoy sent the route attribute. */
  readonly route: string | undefined;
  /** The AIServiceBackend (`namespace/name`) that answered. */
  readonly backend: string | undefined;
  /** The HTTP status of the response; 0 when the response never completed. */
  readonly status: number;
  readonly usage: Usage | undefined;
  /** From the request's arrival to the end of the response, seconds. */
  readonly durationSeconds: number;
  /** Streaming only: from the request's arrival to the first response body chunk, seconds. */
  readonly timeToFirstTokenSeconds: number | undefined;
  /** When the request's headers reached the extproc (epoch ms), for the request's span. */
  readonly startedAtMs: number;
  /** The client's W3C `traceparent`, the parent of the request's span. */
  readonly traceparent: string | undefined;
  /** Every upstream attempt, in order (retries and fallbacks). */
  readonly attempts: readonly AttemptRecord[];
  /** The parsed request (its messages are span content only when capture is enabled). */
  readonly request: ParsedRequest | undefined;
  /**
   * The 2xx response bytes the client got (JSON, or the SSE stream), at most
   * {@link maxContentBytes}; only when a sink {@link RequestMetrics.wantsContent}.
   */
  readonly responseContent?: Uint8Array | undefined;
}

/**
 * Where the extproc reports finished requests; a no-op unless metrics are on (`--admin-port` for
 * Prometheus, an `OTEL_EXPORTER_OTLP_*` endpoint for OTLP).
 */
export interface RequestMetrics {
  record(observation: GenAiObservation): void;
  /**
   * The sink records content (traces with capture on): the router then keeps the response bytes
   * the client got (up to {@link maxContentBytes}) for {@link GenAiObservation.responseContent}.
   */
  readonly wantsContent?: boolean;
}

/** Most response bytes kept for content capture; a longer response is recorded cut. */
export const maxContentBytes = 64 * 1024;

/** Metrics off: records nothing, costs a call. */
export const noMetrics: RequestMetrics = { record: () => undefined };

/** Both sinks (Prometheus and OTLP) when both are on; the one alone, or none, otherwise. */
export function fanOut(sinks: readonly RequestMetrics[]): RequestMetrics {
  const [first, second, ...rest] = sinks;
  if (!first) return noMetrics;
  if (!second) return first;
  const all = [first, second, ...rest];
  return {
    record: (observation) => {
      for (const sink of all) sink.record(observation);
    },
    wantsContent: all.some((sink) => sink.wantsContent === true),
  };
}

/** Distinct values a model attribute keeps before further models are counted as `_OTHER`. */
export const defaultMaxModels = 256;

/** The value past the cap (and for what is unknown), as the GenAI conventions name it. */
const other = '_OTHER';

/**
 * Keeps an attribute's cardinality bounded: the first `max` distinct values pass, every later one
 * is `_OTHER` (a client can send any model name; routes and backends are bounded by the config).
 */
export class CappedValues {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  of(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.#max) return other;
    this.#seen.add(value);
    return value;
  }
}

/** A finished request's attributes and measurements, as every metrics sink records them. */
export interface GenAiMeasurements {
  readonly operation: string;
  readonly provider: string;
  readonly requestModel: string;
  readonly responseModel: string;
  readonly route: string;
  readonly backend: string;
  readonly errorType: string;
  readonly durationSeconds: number;
  /** `gen_ai.token.type` → tokens; cached, cache-creation and reasoning only when reported. */
  readonly tokens: readonly (readonly [type: string, count: number])[];
  readonly timeToFirstTokenSeconds: number | undefined;
  /** Streaming with more than one output token: (duration − TTFT) / (output tokens − 1). */
  readonly timePerOutputTokenSeconds: number | undefined;
}

/** Model attributes capped per sink (request and response model apart). */
export interface ModelCaps {
  readonly request: CappedValues;
  readonly response: CappedValues;
}

/** Model caps of `max` distinct values each (default {@link defaultMaxModels}). */
export function modelCaps(max = defaultMaxModels): ModelCaps {
  return { request: new CappedValues(max), response: new CappedValues(max) };
}

function tokenCounts(usage: Usage | undefined): [string, number][] {
  if (!usage) return [];
  const tokens: [string, number][] = [
    ['input', usage.inputTokens],
    ['output', usage.outputTokens],
  ];
  // Reported only by some providers: recorded when they reported any.
  if (usage.cachedInputTokens > 0) tokens.push(['cached_input', usage.cachedInputTokens]);
  const cacheCreation = usage.cacheCreationInputTokens ?? 0;
  if (cacheCreation > 0) tokens.push(['cache_creation_input', cacheCreation]);
  if (usage.reasoningTokens > 0) tokens.push(['reasoning', usage.reasoningTokens]);
  return tokens;
}

/** What a sink records for one finished request. */
export function measure(observation: GenAiObservation, caps: ModelCaps): GenAiMeasurements {
  const firstToken = observation.timeToFirstTokenSeconds;
  const output = observation.usage?.outputTokens ?? 0;
  return {
    operation: operationName(observation.endpoint),
    provider: providerName(observation.schema),
    requestModel: caps.request.of(observation.requestModel),
    responseModel: caps.response.of(observation.responseModel),
    route: observation.route ?? '',
    backend: observation.backend ?? '',
    errorType: errorType(observation.status),
    durationSeconds: observation.durationSeconds,
    tokens: tokenCounts(observation.usage),
    timeToFirstTokenSeconds: firstToken,
    timePerOutputTokenSeconds:
      firstToken !== undefined && output > 1
        ? (observation.durationSeconds - firstToken) / (output - 1)
        : undefined,
  };
}

/** The conventions' advised bucket boundaries (upstream's too), shared by both sinks. */
export const buckets = {
  tokens: [
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
  ],
  duration: [
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
  ],
  firstToken: [
    0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60,
  ],
  perToken: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5],
} as const;

/** `gen_ai.operation.name` of each endpoint (upstream's values; a table, so adding an endpoint
 * without one fails to compile). */
const operationNames: Readonly<Record<Endpoint, string>> = {
  'chat-completions': 'chat',
  completions: 'completion',
  embeddings: 'embeddings',
  messages: 'messages',
  responses: 'responses',
  'image-generations': 'image_generation',
  'audio-speech': 'speech',
  'audio-transcriptions': 'transcription',
  'audio-translations': 'translation',
  'count-tokens': 'count_tokens',
  'responses-input-tokens': 'responses_input_tokens',
  tokenize: 'tokenize',
  rerank: 'rerank',
  'gemini-generate-content': 'generate_content', // the conventions' value for Gemini's generateContent
  'gemini-count-tokens': 'count_tokens',
};

/** `gen_ai.operation.name` of an endpoint (upstream's values). */
export function operationName(endpoint: Endpoint): string {
  return operationNames[endpoint];
}

/** `gen_ai.provider.name` of a backend schema (upstream's values). */
export function providerName(schema: BackendSchemaName | undefined): string {
  switch (schema) {
    case 'OpenAI':
      return 'openai';
    case 'AzureOpenAI':
      return 'azure.openai';
    case 'AWSBedrock':
      return 'aws.bedrock';
    case 'AWSAnthropic':
      return 'aws.anthropic';
    case 'GCPVertexAI':
      return 'gcp.vertex_ai';
    case 'GCPAnthropic':
      return 'gcp.anthropic';
    case 'Anthropic':
      return 'anthropic';
    case 'Cohere':
      return 'cohere';
    case undefined:
      return '_OTHER';
  }
}

/**
 * `error.type` of a finished request: empty for a 2xx, the status code for an HTTP error (the
 * conventions' choice for HTTP), `_OTHER` when the response never completed.
 */
export function errorType(status: number): string {
  if (status >= 200 && status < 300) return '';
  return status === 0 ? '_OTHER' : String(status);
}
