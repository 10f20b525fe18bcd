import type { Dialect, HeaderChanges } from '@aigw/translator';

/**
 * The rate-limit headers Envoy's rate-limit filter adds (`enable_x_ratelimit_headers:
 * DRAFT_VERSION_03`, the IETF draft): the limit of the descriptor closest to its limit, what is
 * left of it, and the seconds until its window resets.
 */
const draft = {
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
} as const;

/** What the draft headers say; undefined when a response carries none (no budget applies). */
export interface BudgetState {
  readonly limit: number;
  readonly remaining: number;
  readonly resetSeconds: number;
}

/** The leading integer of a rate-limit header value (`1000, 1000;w=3600` → 1000). */
export function leadingInteger(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // `x-ratelimit-limit: 1000, 1000;w=3600`: the first number is the limit.
  const match = /^\s*(\d+)/.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Reads the draft headers, all three or nothing. */
export function budgetState(headers: ReadonlyMap<string, string>): BudgetState | undefined {
  const limit = leadingInteger(headers.get(draft.limit));
  const remaining = leadingInteger(headers.get(draft.remaining));
  const resetSeconds = leadingInteger(headers.get(draft.reset));
  if (limit === undefined || remaining === undefined || resetSeconds === undefined)
    return undefined;
  return { limit, remaining, resetSeconds };
}

/** A duration the way OpenAI writes `x-ratelimit-reset-*`: `45s`, `6m0s`, `1h2m3s`. */
export function openAIDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${String(h)}h${String(m)}m${String(s)}s`;
  if (m > 0) return `${String(m)}m${String(s)}s`;
  return `${String(s)}s`;
}

/** An RFC 3339 time in UTC with whole seconds, as Anthropic writes `anthropic-ratelimit-*-reset`. */
function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * The gateway's token budget in the headers the client's SDK knows, replacing Envoy's draft
 * headers: OpenAI's `x-ratelimit-{limit,remaining,reset}-tokens` (reset as a duration), or
 * Anthropic's `anthropic-ratelimit-tokens-{limit,remaining,reset}` (reset as an RFC 3339 time);
 * on a 429 also `retry-after` (seconds), which both official SDKs wait for before retrying. A
 * provider's own headers of the same names are replaced: the gateway's budget is the one the
 * client is held to. Gemini and Cohere clients, whose APIs have no such headers, keep Envoy's
 * draft headers and get `retry-after` on a 429. Undefined when the response carries no draft
 * headers (no budget applies).
 */
export function budgetHeaders(
  headers: ReadonlyMap<string, string>,
  response: { readonly dialect: Dialect; readonly status: number; readonly nowMs: number },
): HeaderChanges | undefined {
  const { dialect, status, nowMs } = response;
  const state = budgetState(headers);
  if (!state) return undefined;
  const set = dialectHeaders(dialect, state, nowMs);
  // At least a second: a window that resets now still refuses until it has.
  if (status === 429) set.push(['retry-after', String(Math.max(1, state.resetSeconds))]);
  // Gemini and Cohere have no budget headers of their own: the draft's stay.
  const isDraftKept = dialect === 'gemini' || dialect === 'cohere';
  return { set, remove: isDraftKept ? [] : [draft.limit, draft.remaining, draft.reset] };
}

/** The budget headers of a client's dialect; none for a dialect without its own. */
function dialectHeaders(dialect: Dialect, state: BudgetState, nowMs: number): [string, string][] {
  switch (dialect) {
    case 'openai':
      return [
        ['x-ratelimit-limit-tokens', String(state.limit)],
        ['x-ratelimit-remaining-tokens', String(state.remaining)],
        ['x-ratelimit-reset-tokens', openAIDuration(state.resetSeconds)],
      ];
    case 'anthropic':
      return [
        ['anthropic-ratelimit-tokens-limit', String(state.limit)],
        ['anthropic-ratelimit-tokens-remaining', String(state.remaining)],
        ['anthropic-ratelimit-tokens-reset', rfc3339(nowMs + state.resetSeconds * 1000)],
      ];
    case 'gemini':
    case 'cohere':
      return [];
  }
}
