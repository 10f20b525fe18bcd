/**
 * The translator rows: `runTranslatorBench` from packages/translator/bench (another issue's work),
 * loaded at run time when it is there, so this suite works before and after it lands: until then
 * its rows say "pending".
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './processes.js';

/** The figures this suite reports from the translator bench (µs per operation). */
export interface TranslatorFigures {
  /** Where they came from (repository-relative). */
  readonly source: string;
  /** `parseRequest` of the small chat request (the router level's one parse). */
  readonly parseUs: number;
  /** chat-completions → OpenAI (the gateway's passthrough pair): request, whole response. */
  readonly openaiRequestUs: number;
  readonly openaiResponseUs: number;
  /** chat-completions → AWSBedrock (a translating pair), for contrast. */
  readonly bedrockRequestUs: number;
  readonly bedrockResponseUs: number;
}

/** The parts of the translator bench's report read here (checked at run time). */
interface TranslatorBenchReport {
  readonly pairs: readonly {
    readonly pair: string;
    readonly requestSmallUs: number;
    readonly responseSmallUs: number;
  }[];
  readonly parse: readonly {
    readonly endpoint: string;
    readonly size: string;
    readonly us: number;
  }[];
}
type RunTranslatorBench = (options: { quick?: boolean; filter?: string }) => TranslatorBenchReport;

const modulePath = join('packages', 'translator', 'bench', 'run.ts');

async function load(): Promise<RunTranslatorBench | undefined> {
  const file = join(repoRoot, modulePath);
  if (!existsSync(file)) return undefined;
  const loaded = (await import(pathToFileURL(file).href)) as { runTranslatorBench?: unknown };
  return typeof loaded.runTranslatorBench === 'function'
    ? (loaded.runTranslatorBench as RunTranslatorBench)
    : undefined;
}

/**
 * Runs the translator bench on the chat-completions pairs (`quick`: its smoke plan, a few
 * seconds), or returns undefined when it has not landed yet.
 */
export async function translatorFigures(options: {
  readonly quick: boolean;
}): Promise<TranslatorFigures | undefined> {
  const run = await load();
  if (!run) return undefined;
  const report = run({ quick: options.quick, filter: 'chat-completions → ' });
  const pair = (name: string): TranslatorBenchReport['pairs'][number] | undefined =>
    report.pairs.find((p) => p.pair === `chat-completions → ${name}`);
  const openai = pair('OpenAI');
  const bedrock = pair('AWSBedrock');
  const parse = report.parse.find((p) => p.endpoint === 'chat-completions' && p.size === 'small');
  return {
    source: modulePath,
    parseUs: parse?.us ?? Number.NaN,
    openaiRequestUs: openai?.requestSmallUs ?? Number.NaN,
    openaiResponseUs: openai?.responseSmallUs ?? Number.NaN,
    bedrockRequestUs: bedrock?.requestSmallUs ?? Number.NaN,
    bedrockResponseUs: bedrock?.responseSmallUs ?? Number.NaN,
  };
}
