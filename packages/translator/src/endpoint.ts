/** Maps request paths to ingress endpoints and client dialects. */
import type { Dialect, Endpoint } from './translator.js';

const endpointByPath: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  ['/v1/chat/completions', 'chat-completions'],
  ['/v1/completions', 'completions'],
  ['/v1/embeddings', 'embeddings'],
  ['/v1/messages', 'messages'],
  ['/anthropic/v1/messages', 'messages'],
]);

/** The path without its query string. */
function pathOnly(path: string): string {
  const query = path.indexOf('?');
  return query === -1 ? path : path.slice(0, query);
}

/** The ingress endpoint for a request `:path` (query ignored; exact match), or `undefined`. */
export function endpointForPath(path: string): Endpoint | undefined {
  return endpointByPath.get(pathOnly(path));
}

/** The client dialect of an endpoint: Anthropic for `messages`, OpenAI for the rest. */
export function dialectOf(endpoint: Endpoint): Dialect {
  return endpoint === 'messages' ? 'anthropic' : 'openai';
}

/**
 * The client dialect for any path, including unknown ones (for 404 bodies): Anthropic under
 * `/anthropic/` and for `/v1/messages` (and its sub-paths such as `count_tokens`), else OpenAI.
 */
export function dialectForPath(path: string): Dialect {
  const p = pathOnly(path);
  if (p === '/anthropic' || p.startsWith('/anthropic/')) {
    return 'anthropic';
  }
  return p === '/v1/messages' || p.startsWith('/v1/messages/') ? 'anthropic' : 'openai';
}
