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

/** One entry of Anthropic's `GET /v1/models` list. */
export interface AnthropicModelEntry {
  readonly type: 'model';
  readonly id: string;
  /** The config has no display name: the model name. */
  readonly display_name: string;
  /** RFC 3339. */
  readonly created_at: string;
}

/**
 * The model list of a config in Anthropic's format (`{data, has_more, first_id, last_id}`, one
 * page holding every model), as upstream's `/anthropic/v1/models` answers it; `created_at` as
 * {@link modelList}'s `created`.
 */
export function anthropicModelList(config: FilterConfig, now: Date = new Date()): object {
  const data: AnthropicModelEntry[] = config.models.map((model) => ({
    type: 'model',
    id: model.name,
    display_name: model.name,
    created_at: new Date(
      model.createdAt === undefined ? Math.floor(now.getTime() / 1000) * 1000 : model.createdAt,
    )
      .toISOString()
      .replace('.000Z', 'Z'),
  }));
  return {
    data,
    has_more: false,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}

/** The dialect of a model list. */
export type ModelsDialect = 'openai' | 'anthropic';

// Built once per config and dialect (the config object is replaced, never changed, on reload).
const bodies = {
  openai: new WeakMap<FilterConfig, ErrorResponse>(),
  anthropic: new WeakMap<FilterConfig, ErrorResponse>(),
};

/** The 200 JSON answer to a model list request for a config, built on first use. */
export function modelsResponse(
  config: FilterConfig,
  dialect: ModelsDialect = 'openai',
): ErrorResponse {
  let response = bodies[dialect].get(config);
  if (response === undefined) {
    const list = dialect === 'openai' ? modelList(config) : anthropicModelList(config);
    response = {
      status: 200,
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(list)),
    };
    bodies[dialect].set(config, response);
  }
  return response;
}
