/**
 * Model discovery for the embedded default: its routes send *any* model to a provider (a
 * catch-all, or `claude-*`), so `/v1/models` cannot be read off the routes as upstream does for
 * exact matches. Instead `aigw run` asks each provider's own model list once it is up, and lists
 * what the provider offers (filtered by the route that sends there).
 */

/** A provider's model list the embedded default can ask for. */
export interface ModelSource {
  /** The provider, for logs: `openai` or `anthropic`. */
  readonly provider: 'openai' | 'anthropic';
  /** The list URL, e.g. `https://api.openai.com/v1/models`. */
  readonly url: string;
  /** Request headers: the credential (never logged) and API version headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Only ids this route sends to the provider (e.g. `claude-*`); all when absent. */
  readonly include?: RegExp;
  /** Ids another route takes first (e.g. `claude-*` for the catch-all); none when absent. */
  readonly exclude?: RegExp;
}

/** One `/v1/models` entry, in the filter config's shape. */
export interface DiscoveredModel {
  readonly name: string;
  readonly ownedBy: string;
  /** RFC 3339. */
  readonly createdAt?: string;
}

/** What discovery found: models, and one line per provider that could not be asked. */
export interface Discovery {
  readonly models: readonly DiscoveredModel[];
  readonly problems: readonly string[];
}

/** Options of {@link discoverModels}. */
export interface DiscoverOptions {
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  /** Cancels every request (e.g. the gateway stopping). */
  readonly signal?: AbortSignal;
  /** For tests; default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/**
 * Asks every source for its models, in parallel. Never throws: a provider that fails (down, a
 * bad key, an unexpected body) gives a line in `problems` naming it and the reason (never the
 * credential), and the others still count. Ids are listed once, in source order then id order.
 */
export async function discoverModels(
  sources: readonly ModelSource[],
  options: DiscoverOptions = {},
): Promise<Discovery> {
  const results = await Promise.all(sources.map((source) => listOne(source, options)));
  const seen = new Set<string>();
  const models: DiscoveredModel[] = [];
  const problems: string[] = [];
  for (const result of results) {
    if ('problem' in result) {
      problems.push(result.problem);
      continue;
    }
    for (const model of result.models) {
      if (seen.has(model.name)) continue;
      seen.add(model.name);
      models.push(model);
    }
  }
  return { models, problems };
}

type ListResult = { readonly models: DiscoveredModel[] } | { readonly problem: string };

async function listOne(source: ModelSource, options: DiscoverOptions): Promise<ListResult> {
  const where = `${source.provider} models (${source.url})`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let body: unknown;
  try {
    const response = await (options.fetch ?? fetch)(source.url, {
      headers: { accept: 'application/json', ...source.headers },
      signal,
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { problem: `${where}: HTTP ${String(response.status)}` };
    }
    body = await response.json();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { problem: `${where}: ${reason}` };
  }
  const entries = readEntries(body);
  if (entries === undefined) {
    return { problem: `${where}: the answer is not a model list ({"data":[{"id":…}]})` };
  }
  const models = entries
    .map((entry) => toModel(entry, source.provider))
    .filter(
      (model): model is DiscoveredModel =>
        model !== undefined &&
        (source.include?.test(model.name) ?? true) &&
        !(source.exclude?.test(model.name) ?? false),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  return { models };
}

function readEntries(body: unknown): readonly unknown[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const data = (body as { data?: unknown }).data;
  return Array.isArray(data) ? data : undefined;
}

/**
 * OpenAI: `{id, created (unix seconds), owned_by}`; Anthropic: `{id, created_at (RFC 3339),
 * type: "model"}`. Anything without a string id is skipped.
 */
function toModel(entry: unknown, provider: ModelSource['provider']): DiscoveredModel | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const {
    id,
    created,
    created_at: createdAt,
    owned_by: ownedBy,
  } = entry as Record<string, unknown>;
  if (typeof id !== 'string' || id === '') return undefined;
  const time =
    typeof created === 'number' && Number.isFinite(created)
      ? new Date(created * 1000)
      : typeof createdAt === 'string'
        ? new Date(createdAt)
        : undefined;
  return {
    name: id,
    ownedBy: typeof ownedBy === 'string' && ownedBy !== '' ? ownedBy : provider,
    ...(time !== undefined && !Number.isNaN(time.getTime())
      ? { createdAt: time.toISOString().replace(/\.\d{3}Z$/, 'Z') }
      : {}),
  };
}
