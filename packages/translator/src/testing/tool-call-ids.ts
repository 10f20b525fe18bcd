/**
 * Tool-call ids for providers that carry none (Gemini): the provider pairs a function result
 * with its call by function name, and the gateway mints the call ids its clients see. The cases
 * compare ids by value, so for such providers the runner maps them first:
 *
 * - requests: the codec reads each call's and each result's function name as its id; the client's
 *   ids are put back by name, in order. A result paired with the wrong function gets the wrong
 *   id (or none), so the case still fails when the translator mixes results up;
 * - responses: each minted id must be a non-empty string, unique in the response; it is then
 *   replaced by the provider-neutral id the case expects, position by position.
 */
import { ConformanceError } from './neutral.js';
import type {
  ClientView,
  NeutralMessage,
  NeutralRequest,
  NeutralResponse,
  UpstreamView,
} from './neutral.js';

/** Appends `value` to the list under `key`. */
function push(map: Map<string, string[]>, key: string, value: string): void {
  const values = map.get(key);
  if (values === undefined) map.set(key, [value]);
  else values.push(value);
}

/** The client's call ids and result ids, each queued under its function name in request order. */
function idsByName(request: NeutralRequest): {
  calls: Map<string, string[]>;
  results: Map<string, string[]>;
} {
  const calls = new Map<string, string[]>();
  const results = new Map<string, string[]>();
  const nameById = new Map<string, string>();
  for (const message of request.messages) {
    for (const call of message.toolCalls ?? []) {
      push(calls, call.name, call.id);
      nameById.set(call.id, call.name);
    }
    const id = message.toolCallId;
    const name = id === undefined ? undefined : nameById.get(id);
    if (id !== undefined && name !== undefined) push(results, name, id);
  }
  return { calls, results };
}

/**
 * The upstream view with the client's tool-call ids restored from the function names the codec
 * read as ids (see the module comment).
 */
export function withRequestIdsRestored(view: UpstreamView, request: NeutralRequest): UpstreamView {
  const { calls, results } = idsByName(request);
  const messages = view.messages.map((message): NeutralMessage => {
    if (message.toolCalls !== undefined) {
      const toolCalls = message.toolCalls.map((call) => ({
        ...call,
        id: calls.get(call.name)?.shift() ?? `unmatched call ${call.id}`,
      }));
      return { ...message, toolCalls };
    }
    if (message.role === 'tool' && message.toolCallId !== undefined) {
      const id = results.get(message.toolCallId)?.shift();
      return { ...message, toolCallId: id ?? `unmatched result for ${message.toolCallId}` };
    }
    return message;
  });
  return { ...view, messages };
}

/**
 * The client view with gateway-minted tool-call ids checked (non-empty, unique) and replaced by
 * the ids the provider-neutral response names, in order.
 */
export function withMintedIdsReplaced(client: ClientView, response: NeutralResponse): ClientView {
  const ids = client.toolCalls.map((call) => call.id);
  if (ids.some((id) => id === '')) {
    throw new ConformanceError(`a minted tool call id is empty: ${JSON.stringify(ids)}`);
  }
  if (new Set(ids).size !== ids.length) {
    throw new ConformanceError(`minted tool call ids are not unique: ${JSON.stringify(ids)}`);
  }
  const expected = response.toolCalls ?? [];
  const toolCalls = client.toolCalls.map((call, i) => ({
    ...call,
    id: expected[i]?.id ?? call.id,
  }));
  return { ...client, toolCalls };
}
