/**
 * Renders `docs/translation-matrix.md` from the conformance runs: one table per ingress endpoint,
 * pair × case → pass / skip (reason) / refused (reason) / FAIL, plus every registered pair and the
 * column that covers it. Pure (no I/O):
 * `scripts/matrix.ts` writes the file, `matrix.test.ts` checks it is up to date.
 */
import { hasTranslator } from '../registry.js';
import { backendSchemaNames, endpoints, type Endpoint } from '../translator.js';
import { completionsSuite } from './completions-suite.js';
import {
  conformanceCases,
  runConformance,
  type CaseOutcome,
  type ConformancePair,
} from './conformance.js';
import { countTokensSuite, inputTokensSuite, rerankSuite, tokenizeSuite } from './count-suites.js';
import { embeddingsSuite } from './embeddings-backends.js';
import { geminiCountSuite } from './gemini-count-suite.js';
import { mediaSection, mediaSuites } from './media-suites.js';
import { conformancePairs, droppedOnPurpose } from './pairs.js';
import { suiteSection, type MatrixSection } from './suite.js';
import { sideBySide } from './upstream-matrix.js';

/** Width in code points (every cell is plain text without combining characters or emoji). */
function widthOf(text: string): number {
  return Array.from(text).length;
}

/** Pads `text` to `width` characters (the table is pre-aligned so Prettier leaves it alone). */
function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(width - widthOf(text), 0));
}

/** A Markdown table with aligned columns. */
function table(rows: readonly (readonly string[])[]): string {
  const widths =
    rows[0]?.map((_, col) => Math.max(3, ...rows.map((r) => widthOf(r[col] ?? '')))) ?? [];
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => pad(c, widths[i] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The chat conformance run as one section per ingress endpoint (chat completions, messages). */
export function chatSections(pairs: readonly ConformancePair[]): MatrixSection[] {
  const titles: Partial<Record<Endpoint, string>> = {
    'chat-completions': '`/v1/chat/completions` (OpenAI chat completions)',
    messages: '`/v1/messages` (Anthropic messages)',
    responses:
      '`/v1/responses` (OpenAI Responses: passed through to OpenAI and Azure OpenAI, translated to chat completions for the others and for `(chat)`)',
    'gemini-generate-content':
      '`generateContent` (Google Gemini API: `/v1beta/models/{model}:generateContent` and `:streamGenerateContent`)',
  };
  return endpoints.flatMap((endpoint) => {
    const group = pairs.filter((p) => p.ingress.endpoint === endpoint);
    if (group.length === 0) return [];
    return [
      {
        endpoint,
        title: titles[endpoint] ?? `\`${endpoint}\``,
        cases: conformanceCases,
        columns: group.map((pair) => ({
          name: pair.name,
          schema: pair.schema,
          outcomes: new Map(runConformance(pair).map((r) => [r.name, r.outcome])),
        })),
      },
    ];
  });
}

/**
 * Every section of the matrix: the chat suite, `/v1/embeddings`, `/v1/completions`, then the
 * media endpoints (images, speech, transcriptions, translations).
 */
export function matrixSections(): MatrixSection[] {
  return [
    ...chatSections(conformancePairs),
    suiteSection(embeddingsSuite),
    suiteSection(completionsSuite),
    ...mediaSuites.map(mediaSection),
    suiteSection(countTokensSuite),
    suiteSection(inputTokensSuite),
    suiteSection(tokenizeSuite),
    suiteSection(rerankSuite),
    suiteSection(geminiCountSuite),
  ];
}

/** Registered (endpoint, schema) pairs, each with the table column that covers it, if any. */
function registeredPairs(sections: readonly MatrixSection[]): string[] {
  return endpoints.flatMap((endpoint) =>
    backendSchemaNames
      .filter((name) => hasTranslator({ endpoint, schema: { name } }))
      .map((name) => {
        const section = sections.find((s) => s.endpoint === endpoint);
        const column = section?.columns.find((c) => c.schema === name);
        const where =
          section === undefined || column === undefined
            ? 'no conformance adapter yet'
            : `${section.title}, column \`${column.name}\``;
        return `- ${endpoint} → ${name}: ${where}`;
      }),
  );
}

/** Footnote numbering shared by every table. */
class Footnotes {
  readonly reasons: string[] = [];

  cell(outcome: CaseOutcome | undefined): string {
    switch (outcome?.status) {
      case 'pass':
        return 'pass';
      case 'skip':
        return `skip [${this.#number(outcome.reason)}]`;
      case 'refused':
        return `refused [${this.#number(outcome.reason)}]`;
      case 'fail':
      case undefined:
        return 'FAIL';
    }
  }

  #number(reason: string): number {
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
    return this.reasons.indexOf(reason) + 1;
  }
}

/** One section: heading, table, case descriptions. */
function renderSection(section: MatrixSection, notes: Footnotes): string[] {
  const rows: string[][] = [['case', ...section.columns.map((c) => c.name)]];
  for (const c of section.cases) {
    rows.push([
      `\`${c.name}\``,
      ...section.columns.map((col) => notes.cell(col.outcomes.get(c.name))),
    ]);
  }
  const counts = section.columns.flatMap((col) => [...col.outcomes.values()]);
  const count = (status: CaseOutcome['status']): number =>
    counts.filter((o) => o.status === status).length;
  return [
    `## ${section.title}`,
    '',
    `${section.cases.length} cases × ${section.columns.length} pairs: ${count('pass')} pass, ` +
      `${count('refused')} refused, ${count('skip')} skipped, ${count('fail')} failing.`,
    '',
    table(rows),
    '',
    ...section.cases.map((c) => `- \`${c.name}\`: ${c.description}.`),
    '',
  ];
}

/** Renders the matrix document for `sections`. */
export function renderMatrix(sections: readonly MatrixSection[]): string {
  const notes = new Footnotes();
  const body = sections.flatMap((section) => renderSection(section, notes));
  const numbered = notes.reasons.map((r, i) => `${i + 1}. ${r}.`);
  return [
    '# Translation matrix',
    '',
    '<!-- Generated by packages/translator/scripts/matrix.ts from the conformance suite. Do not edit: run `pnpm --filter @aigw/translator matrix`. -->',
    '',
    'Each cell is the outcome of one conformance case (`packages/translator/src/testing/`) for one',
    'translator pair (`ingress → backend`): the case is written once in neutral terms, encoded in',
    'the client’s dialect, translated, answered in the provider’s real wire format (JSON, SSE, AWS',
    'eventstream) and decoded as the client would. Responses are fed whole and in 7-byte chunks.',
    '`skip [n]`: not run, for the reason in note n. `refused [n]`: the backend cannot do it and the',
    'translator is checked to refuse the request with a clear 400 (note n), never a silent drop.',
    '',
    ...sideBySide(),
    ...body,
    '## Notes',
    '',
    ...(numbered.length === 0 ? ['None.'] : numbered),
    '',
    '## Dropped on purpose',
    '',
    'Accepted and not sent, because they change no answer (anything else a backend cannot honour',
    'is refused with a 400):',
    '',
    ...droppedOnPurpose.map((d) => `- \`${d.pair}\`: ${d.what} — ${d.why}.`),
    '',
    '## Registered pairs',
    '',
    'Every (endpoint → backend schema) pair `createTranslator` supports, and the table column that',
    'covers it.',
    '',
    ...registeredPairs(sections),
    '',
  ].join('\n');
}
