import type { BackendSchemaName, Endpoint, Usage } from '@aigw/translator';

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
}

/** Where the extproc reports finished requests; a no-op unless metrics are on (`--admin-port`). */
export interface RequestMetrics {
  record(observation: GenAiObservation): void;
}

/** Metrics off: records nothing, costs a call. */
export const noMetrics: RequestMetrics = { record: () => undefined };

/** `gen_ai.operation.name` of an endpoint (upstream's values). */
export function operationName(endpoint: Endpoint): string {
  switch (endpoint) {
    case 'chat-completions':
      return 'chat';
    case 'completions':
      return 'completion';
    case 'embeddings':
      return 'embeddings';
    case 'messages':
      return 'messages';
  }
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
