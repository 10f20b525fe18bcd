/**
 * Renders a {@link TranslatorBenchReport} as Markdown: the table printed by the bench and the
 * generated section of docs/benchmarks.md. Tables are pre-aligned so Prettier leaves them alone.
 */
import type { PairResult, TranslatorBenchReport } from './run.js';

/** Pads `text` to `width` code points. */
function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(width - Array.from(text).length, 0));
}

/** A Markdown table with aligned columns. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, col) =>
      Math.max(3, ...rows.map((row) => Array.from(row[col] ?? '').length)),
    ) ?? [];
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => pad(cell, widths[i] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Three significant digits, no exponent (4.21, 38.2, 512, 14700). */
export function figure(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value >= 1000) {
    const step = 10 ** (Math.floor(Math.log10(value)) - 2);
    return String(Math.round(value / step) * step);
  }
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** Kilobytes with one decimal below 10. */
function kb(bytes: number): string {
  const k = bytes / 1024;
  return k >= 10 ? k.toFixed(0) : k.toFixed(1);
}

/** `min–max` of byte sizes in KB (one figure when they round alike). */
function kbRange(values: readonly number[]): string {
  const lo = kb(Math.min(...values));
  const hi = kb(Math.max(...values));
  return lo === hi ? `${lo} KB` : `${lo}–${hi} KB`;
}

/** `min–max` of figures, with a unit. */
function range(values: readonly number[], unit: string): string {
  const lo = figure(Math.min(...values));
  const hi = figure(Math.max(...values));
  return lo === hi ? `${lo} ${unit}` : `${lo}–${hi} ${unit}`;
}

/** An integer with thousands separators. */
function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** The per-pair table. */
export function pairsTable(pairs: readonly PairResult[]): string {
  const rows = [
    [
      'pair',
      'request small µs',
      'request large µs',
      'response small µs',
      'response large µs',
      'stream frames/s',
      'stream µs/frame',
    ],
    ...pairs.map((p) => [
      p.pair,
      figure(p.requestSmallUs),
      figure(p.requestLargeUs),
      figure(p.responseSmallUs),
      figure(p.responseLargeUs),
      p.streamFramesPerSecond === undefined ? '—' : figure(p.streamFramesPerSecond),
      p.streamFramesPerSecond === undefined ? '—' : figure(1e6 / p.streamFramesPerSecond),
    ]),
  ];
  return markdownTable(rows);
}

/** The `parseRequest` table. */
function parseTable(report: TranslatorBenchReport): string {
  const rows = [
    ['ingress', 'body', 'KB', 'parseRequest µs'],
    ...report.parse.map((p) => [p.endpoint, p.size, kb(p.bytes), figure(p.us)]),
  ];
  return markdownTable(rows);
}

/** One line naming where and when the figures were taken. */
export function runLine(report: TranslatorBenchReport): string {
  const { machine, plan } = report;
  const load = machine.loadAverage.map((l) => l.toFixed(2)).join(' / ');
  const loadEnd = machine.loadAverageEnd.map((l) => l.toFixed(2)).join(' / ');
  return (
    `${report.date}, ${machine.cpuModel} (${String(machine.nproc)} CPUs, ${String(machine.memoryGiB)} GiB), ` +
    `Node ${machine.node}, load average ${load} at start, ${loadEnd} at the end (1/5/15 min); ` +
    `median of ${String(plan.rounds)} rounds of ~${String(plan.roundMs)} ms after ${String(plan.warmupRounds)} warm-up rounds` +
    (report.quick ? ' (quick run: rough figures)' : '')
  );
}

/** A warning when other work shared the machine (load average above half the CPUs). */
function busyNote(report: TranslatorBenchReport): string {
  const load = report.machine.loadAverage[0] ?? 0;
  return load > report.machine.nproc / 2
    ? ` The machine was busy (load average ${load.toFixed(2)} on ${String(report.machine.nproc)} CPUs):` +
        ' figures are provisional until re-run on a quiet machine.'
    : '';
}

/** The workload list, with the actual byte sizes of this run. */
function workloadText(report: TranslatorBenchReport): string {
  const chat = report.pairs.filter(
    (p) => p.endpoint === 'chat-completions' || p.endpoint === 'messages',
  );
  if (chat.length === 0) return '';
  const sizes = (f: (p: PairResult) => number | undefined): string =>
    kbRange(chat.map(f).filter((v): v is number => v !== undefined));
  return [
    'Workloads (sizes as encoded for each pair’s dialect):',
    '',
    `- chat (OpenAI chat completions and Anthropic Messages ingress): small request one short user`,
    `  message (${sizes((p) => p.sizes.requestSmall)}); large request a system prompt, one tool and 200`,
    `  alternating user/assistant messages of ~1,000 characters (${sizes((p) => p.sizes.requestLarge)});`,
    `  small response a one-line answer with usage (${sizes((p) => p.sizes.responseSmall)}); large response a`,
    `  ~200,000-character answer (${sizes((p) => p.sizes.responseLarge)}); stream ${count(report.streamFrames)} frames of a`,
    `  few characters each (${sizes((p) => p.sizes.stream)} in the provider’s framing);`,
    '- embeddings: one short input, and 100 inputs of 2,000 characters (one 200,000-character input',
    '  for Titan, which embeds one text per call); responses of 256-float vectors (one 1,024-float',
    '  vector for Titan’s large response);',
    `- legacy completions: a short prompt and a 200,000-character one; a ${count(report.streamFrames)}-frame stream.`,
  ].join('\n');
}

/** Observations computed from the figures (what dominates where). */
function readingText(report: TranslatorBenchReport): string {
  const byName = new Map(report.pairs.map((p) => [p.pair, p]));
  const passthrough = byName.get('chat-completions → OpenAI');
  const translating = report.pairs.filter(
    (p) => p.endpoint === 'chat-completions' && p.schema !== 'OpenAI' && p.schema !== 'AzureOpenAI',
  );
  const streams = report.pairs.filter((p) => p.streamFramesPerSecond !== undefined);
  const parse = report.parse.find((p) => p.endpoint === 'chat-completions' && p.size === 'large');
  if (passthrough === undefined || translating.length === 0 || streams.length === 0) return '';
  const perFrame = (p: PairResult): number => 1e6 / (p.streamFramesPerSecond ?? Number.NaN);
  const sorted = [...streams].sort((a, b) => perFrame(a) - perFrame(b));
  const fastest = sorted[0];
  const slowest = sorted.at(-1);
  if (fastest === undefined || slowest === undefined) return '';
  return [
    'Reading:',
    '',
    `- passthrough pairs (→ OpenAI, → AzureOpenAI, messages → Anthropic) forward the request bytes`,
    `  untouched, so their request cost does not grow with the body; a whole JSON response is decoded`,
    `  and parsed once for usage and model (large response ${figure(passthrough.responseLargeUs)} µs for chat → OpenAI,`,
    `  the order of \`parseRequest\` on a body that size: ${parse === undefined ? 'n/a' : figure(parse.us)} µs);`,
    `- translating chat pairs rebuild the body: the large request costs ${range(
      translating.map((p) => p.requestLargeUs),
      'µs',
    )},`,
    `  the large response ${range(
      translating.map((p) => p.responseLargeUs),
      'µs',
    )};`,
    `- streams: from ${figure(perFrame(fastest))} µs per frame (${fastest.pair}) to ${figure(perFrame(slowest))} µs`,
    `  (${slowest.pair}).`,
  ].join('\n');
}

/** The generated section of docs/benchmarks.md. */
export function docSection(report: TranslatorBenchReport): string {
  return [
    '## Translator: µs per translation (issue 3/7)',
    '',
    '```sh',
    'pnpm --filter @aigw/translator bench           # full run (~2 min): table, bench/results/translator-<time>.json, this section',
    'pnpm --filter @aigw/translator bench --quick   # smoke run (< 5 s): rough figures, writes nothing',
    'pnpm --filter @aigw/translator bench --help    # flags (--filter, --json, --no-write)',
    '```',
    '',
    'In-process, no network: `packages/translator/bench/` creates each pair `createTranslator`',
    'supports (endpoint → backend schema, from `src/registry.ts`) and times, with',
    '`process.hrtime.bigint()`, the median of several rounds sized to a target duration after warm-up',
    'rounds (node runs with `--expose-gc`; garbage is collected between rounds, not inside them):',
    '',
    '- **request**: `createTranslator` + `request()` on an already parsed body (the router level parses',
    '  once per request: that cost is the last table);',
    '- **response**: `responseHeaders()` + `responseBody(whole, true)` on a whole provider response, in',
    '  the provider’s format (built with the conformance suite’s codecs);',
    `- **stream**: a ${count(report.streamFrames)}-frame transcript in the provider’s wire format (OpenAI or`,
    '  Anthropic SSE, Gemini SSE, AWS eventstream for Bedrock Converse and Bedrock Anthropic) fed one',
    '  frame per `responseBody` call, as Envoy forwards them, then the end of stream; frames/s is',
    '  frames ÷ the median time of a whole transcript.',
    '',
    'Every workload is checked before it is timed: requests translate, responses and streams report',
    'usage. The figures are for comparing pairs and commits on one machine, not limits.',
    '',
    workloadText(report),
    '',
    `Run: ${runLine(report)}.${busyNote(report)}`,
    '',
    pairsTable(report.pairs),
    '',
    parseTable(report),
    '',
    readingText(report),
  ].join('\n');
}
