/**
 * Side by side with upstream: Envoy AI Gateway's 34 translated (endpoint, backend schema) cells
 * (a static table, from its `GetTranslator` dispatch) against what this registry serves, computed
 * from `hasTranslator` so the table cannot drift from the code. Notes mark where a cell differs
 * in kind (translated where upstream passes through, a count without token ids, an aigw addition).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/internal/endpointspec/endpointspec.go
 */
import { hasTranslator } from '../registry.js';
import {
  backendSchemaNames,
  endpoints,
  type BackendSchemaName,
  type Endpoint,
} from '../translator.js';

/** One ingress row of upstream's table. */
interface UpstreamRow {
  /** Our endpoint. */
  readonly endpoint: Endpoint;
  /** The path as upstream serves it (default prefixes). */
  readonly path: string;
  /** The schemas upstream translates it for. */
  readonly schemas: readonly BackendSchemaName[];
}

/** Upstream's translated cells (docs: `/work/shared/reference/upstream.md` §2). */
export const upstreamRows: readonly UpstreamRow[] = [
  {
    endpoint: 'chat-completions',
    path: '/v1/chat/completions',
    schemas: ['OpenAI', 'AzureOpenAI', 'AWSBedrock', 'AWSAnthropic', 'GCPVertexAI', 'GCPAnthropic'],
  },
  { endpoint: 'completions', path: '/v1/completions', schemas: ['OpenAI'] },
  {
    endpoint: 'embeddings',
    path: '/v1/embeddings',
    schemas: ['OpenAI', 'AzureOpenAI', 'AWSBedrock', 'GCPVertexAI'],
  },
  { endpoint: 'image-generations', path: '/v1/images/generations', schemas: ['OpenAI'] },
  { endpoint: 'responses', path: '/v1/responses', schemas: ['OpenAI', 'AzureOpenAI'] },
  {
    endpoint: 'responses-input-tokens',
    path: '/v1/responses/input_tokens',
    schemas: ['OpenAI', 'AzureOpenAI'],
  },
  { endpoint: 'audio-speech', path: '/v1/audio/speech', schemas: ['OpenAI'] },
  { endpoint: 'audio-transcriptions', path: '/v1/audio/transcriptions', schemas: ['OpenAI'] },
  { endpoint: 'audio-translations', path: '/v1/audio/translations', schemas: ['OpenAI'] },
  {
    endpoint: 'tokenize',
    path: '/tokenize',
    schemas: ['OpenAI', 'AWSBedrock', 'AWSAnthropic', 'GCPVertexAI', 'GCPAnthropic'],
  },
  {
    endpoint: 'messages',
    path: '/anthropic/v1/messages',
    schemas: ['OpenAI', 'AWSBedrock', 'AWSAnthropic', 'GCPAnthropic', 'Anthropic'],
  },
  {
    endpoint: 'count-tokens',
    path: '/anthropic/v1/messages/count_tokens',
    schemas: ['AWSBedrock', 'AWSAnthropic', 'GCPAnthropic', 'Anthropic'],
  },
  { endpoint: 'rerank', path: '/cohere/v2/rerank', schemas: ['Cohere'] },
];

const chatOnly: readonly BackendSchemaName[] = [
  'AWSBedrock',
  'AWSAnthropic',
  'GCPVertexAI',
  'GCPAnthropic',
  'Anthropic',
];

/** Paths of endpoints upstream's table lacks (default prefixes), for their rows. */
const extraPaths: Partial<Record<Endpoint, string>> = {
  'gemini-generate-content': '/v1beta/models/{model}:generateContent',
  'gemini-count-tokens': '/v1beta/models/{model}:countTokens',
};

/**
 * Cells served differently in kind from upstream: `partial` when a client can tell; `local` for
 * a pair without a translator that the extproc answers itself.
 */
const cellNotes: readonly {
  readonly endpoint: Endpoint;
  readonly schemas: readonly BackendSchemaName[];
  readonly isPartial: boolean;
  readonly isLocal?: boolean;
  readonly note: string;
}[] = [
  {
    endpoint: 'responses',
    schemas: ['OpenAI', 'AzureOpenAI'],
    isPartial: false,
    note:
      'passed through, as upstream (hosted tools and server-side state such as ' +
      '`previous_response_id` reach the provider). The AIServiceBackend annotation ' +
      '`aigateway.envoyproxy.io/responses-api: chat` keeps the chat completions translation ' +
      'instead, for OpenAI-compatible servers without `/v1/responses` (vLLM, Ollama, …)',
  },
  {
    endpoint: 'responses',
    schemas: chatOnly,
    isPartial: false,
    note: 'aigw addition: translated to chat completions, then by the backend’s chat translator',
  },
  {
    endpoint: 'responses-input-tokens',
    schemas: chatOnly,
    isPartial: false,
    note:
      'aigw addition: the Responses body is translated to chat completions, then counted by the ' +
      'backend’s count API (Bedrock CountTokens, Vertex `countTokens`, Anthropic `count_tokens`)',
  },
  {
    endpoint: 'tokenize',
    schemas: ['AWSBedrock', 'AWSAnthropic', 'GCPVertexAI', 'GCPAnthropic'],
    isPartial: true,
    note:
      'a count only, as upstream: `max_model_len` is 0 and `tokens` empty (upstream: null); the ' +
      'count APIs return no token ids',
  },
  {
    endpoint: 'gemini-count-tokens',
    schemas: ['OpenAI'],
    isPartial: true,
    isLocal: true,
    note:
      'no translator: the extproc answers with its local estimate (about 4 bytes per token), ' +
      'not the model tokenizer’s count',
  },
];

function noteFor(
  endpoint: Endpoint,
  schema: BackendSchemaName,
): { isPartial: boolean; isLocal?: boolean; note: string } | undefined {
  return cellNotes.find((n) => n.endpoint === endpoint && n.schemas.includes(schema));
}

/** Numbered notes, shared by every cell of the table. */
class Notes {
  readonly texts: string[] = [];

  ref(note: string): number {
    if (!this.texts.includes(note)) this.texts.push(note);
    return this.texts.indexOf(note) + 1;
  }
}

function ourCell(endpoint: Endpoint, schema: BackendSchemaName, notes: Notes): string {
  const note = noteFor(endpoint, schema);
  if (!hasTranslator({ endpoint, schema: { name: schema } })) {
    return note?.isLocal === true ? `local [${String(notes.ref(note.note))}]` : '✗';
  }
  if (note === undefined) return '✅';
  return `${note.isPartial ? 'partial' : '✅'} [${notes.ref(note.note)}]`;
}

/**
 * Display width as Prettier measures it: ✅ (an emoji-presentation character) counts 2, every
 * other character here 1. The table is pre-aligned so Prettier leaves the generated file alone.
 */
function widthOf(text: string): number {
  return Array.from(text).reduce((sum, c) => sum + (c === '✅' ? 2 : 1), 0);
}

/** A Markdown table with aligned columns. */
function alignedTable(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, col) =>
    Math.max(3, ...rows.map((row) => widthOf(row[col] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => c + ' '.repeat(Math.max((widths[i] ?? 0) - widthOf(c), 0))).join(' | ')} |`;
  const [head = [], ...body] = rows;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
}

/** The rows: upstream's, then any endpoint aigw serves that upstream's table lacks. */
function rows(): { endpoint: Endpoint; path: string; upstream: readonly BackendSchemaName[] }[] {
  const known = new Set(upstreamRows.map((r) => r.endpoint));
  const extra = endpoints
    .filter((e) => !known.has(e))
    .filter((e) =>
      backendSchemaNames.some((name) => hasTranslator({ endpoint: e, schema: { name } })),
    );
  return [
    ...upstreamRows.map((r) => ({ endpoint: r.endpoint, path: r.path, upstream: r.schemas })),
    ...extra.map((endpoint) => ({
      endpoint,
      path: `\`${extraPaths[endpoint] ?? endpoint}\` (aigw only)`,
      upstream: [],
    })),
  ];
}

/**
 * The side-by-side section of `docs/translation-matrix.md`: per (endpoint, backend schema),
 * upstream's cell and ours, with counts and notes. Lines of Markdown.
 */
export function sideBySide(): string[] {
  const notes = new Notes();
  const all = rows();
  let upstreamCells = 0;
  let kept = 0;
  let added = 0;
  const body = all.map((row) => {
    const cells = backendSchemaNames.map((schema) => {
      const isUpstream = row.upstream.includes(schema);
      const isOurs = hasTranslator({ endpoint: row.endpoint, schema: { name: schema } });
      if (isUpstream) upstreamCells++;
      if (isUpstream && isOurs) kept++;
      if (!isUpstream && isOurs) added++;
      return `${isUpstream ? '✅' : '✗'} / ${ourCell(row.endpoint, schema, notes)}`;
    });
    const path = row.path.startsWith('/') ? `\`${row.path}\`` : row.path;
    return [path, ...cells];
  });
  return [
    '## Side by side with upstream',
    '',
    'Each cell is `upstream / aigw` for one (ingress endpoint, backend schema): ✅ translated, ✗ not',
    '(aigw answers a 400 naming the backend), `partial` served with a difference a client can see,',
    '`local` answered by the gateway itself (notes). Upstream’s column is a fixed table of Envoy AI',
    'Gateway’s translators (its `GetTranslator` dispatch); aigw’s is read from the registry',
    '(`hasTranslator`), so it cannot drift from the code. The tables below test each aigw cell.',
    '',
    `Upstream: ${String(upstreamCells)} cells. aigw: ${String(kept)} of them, and ` +
      `${String(added)} more.`,
    '',
    ...alignedTable([['endpoint', ...backendSchemaNames], ...body]),
    '',
    ...notes.texts.map((text, i) => `${String(i + 1)}. ${text}.`),
    '',
  ];
}
