import type { FilterConfig } from '@aigw/filterapi';
import type { ErrorResponse } from '@aigw/translator';

/**
 * The path of OpenAI's model list under the default prefixes, answered by the router level from
 * the filter config (`--root-prefix` and the openai prefix move it: `EndpointMatcher.modelsPath`).
 */
export const modelsPath = '/v1/models';

/** One entry of OpenAI's `GET /v1/models` list. */
export interface ModelEntry {
  readonly id: string;
  readonly object: 'model';
  /** Unix seconds. */
  readonly created: number;
  readonly owned_by: string;
}

/**
 * True for `GET /v1/models` (or `GET <at>`; query ignored), the request the router level answers
 * itself.
 */
export function isModelsRequest(
  method: string | undefined,
  path: string,
  at: string = modelsPath,
): boolean {
  const query = path.indexOf('?');
  return (method ?? 'GET') === 'GET' && (query === -1 ? path : path.slice(0, query)) === at;
}

/**
 * The model list of a config in OpenAI's format, as upstream's extproc answers it: each
 * `models[]` entry with `created` from `createdAt` (Unix seconds), or, without one, the time the
 * config was first listed, so a client sees a stable value for one config.
 */
export function modelList(config: FilterConfig, now: Date = new Date()): object {
  const fallback = Math.floor(now.getTime() / 1000);
  const data: ModelEntry[] = config.models.map((model) => ({
    id: model.name,
    object: 'model',
    created:
      model.createdAt === undefined ? fallback : Math.floor(Date.parse(model.createdAt) / 1000),
    owned_by: model.ownedBy,
  }));
  return { object: 'list', data };
}

// Built once per config (the config object is replaced, never changed, on reload).
const bodies = new WeakMap<FilterConfig, ErrorResponse>();

/** The 200 JSON answer to `GET /v1/models` for a config, built on first use. */
export function modelsResponse(config: FilterConfig): ErrorResponse {
  let response = bodies.get(config);
  if (response === undefined) {
    response = {
      status: 200,
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(modelList(config))),
    };
    bodies.set(config, response);
  }
  return response;
}
