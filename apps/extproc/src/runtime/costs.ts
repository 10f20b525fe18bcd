import { createRequire } from 'node:module';
import type * as CelJs from '@marcbachmann/cel-js';
import type { Environment } from '@marcbachmann/cel-js';
import type { LLMRequestCost } from '@aigw/filterapi';
import type { Usage } from '@aigw/translator';

/** What a cost expression can see about one finished request. */
export interface CostInput {
  readonly usage: Usage;
  readonly model: string;
  readonly backend: string;
  readonly routeName: string;
}

/** A configured `llmRequestCosts` entry, compiled once per config. */
export interface CompiledCost {
  readonly metadataKey: string;
  readonly cost: LLMRequestCost;
  /** The cost for one request, or undefined when it does not apply or cannot be computed. */
  evaluate(input: CostInput): number | undefined;
}

const celVariables = {
  model: 'string',
  backend: 'string',
  route_name: 'string',
  input_tokens: 'uint',
  cached_input_tokens: 'uint',
  cache_creation_input_tokens: 'uint',
  output_tokens: 'uint',
  total_tokens: 'uint',
  reasoning_tokens: 'uint',
} as const;

interface CelEngine {
  /** The environment with {@link celVariables} registered. */
  readonly env: Environment;
  /** cel-js's uint wrapper (not exported; a uint literal's constructor is that class). */
  readonly UnsignedInt: new (value: bigint) => object;
}

let celEngine: CelEngine | undefined;

/**
 * The CEL engine (~+7 MiB RSS), loaded on the first CEL cost: configs without one never load it.
 * Loaded synchronously (Node's require of an ES module) so that compileCosts stays synchronous.
 */
function cel(): CelEngine {
  if (celEngine) return celEngine;
  const celJs = createRequire(import.meta.url)('@marcbachmann/cel-js') as typeof CelJs;
  let env = new celJs.Environment();
  for (const [name, type] of Object.entries(celVariables)) env = env.registerVariable(name, type);
  const UnsignedInt = (celJs.evaluate('0u') as object).constructor as CelEngine['UnsignedInt'];
  celEngine = { env, UnsignedInt };
  return celEngine;
}

const uint = (n: number): object => new (cel().UnsignedInt)(BigInt(Math.max(0, Math.trunc(n))));

function celContext(input: CostInput): Record<string, unknown> {
  const { usage } = input;
  return {
    model: input.model,
    backend: input.backend,
    route_name: input.routeName,
    input_tokens: uint(usage.inputTokens),
    cached_input_tokens: uint(usage.cachedInputTokens),
    cache_creation_input_tokens: uint(0),
    output_tokens: uint(usage.outputTokens),
    total_tokens: uint(usage.totalTokens),
    reasoning_tokens: uint(usage.reasoningTokens),
  };
}

function toCount(value: unknown): number | undefined {
  const raw =
    typeof value === 'object' && value !== null
      ? (value as { valueOf(): unknown }).valueOf()
      : value;
  if (typeof raw === 'bigint') return raw >= 0n ? Number(raw) : undefined;
  if (typeof raw === 'number' && Number.isFinite(raw) && raw >= 0) return Math.trunc(raw);
  return undefined;
}

function tokenCount(cost: LLMRequestCost, usage: Usage): number {
  switch (cost.type) {
    case 'InputToken':
      return usage.inputTokens;
    case 'CachedInputToken':
      return usage.cachedInputTokens;
    case 'CacheCreationInputToken':
      return 0;
    case 'OutputToken':
      return usage.outputTokens;
    case 'ReasoningToken':
      return usage.reasoningTokens;
    case 'TotalToken':
    case 'CEL':
      return usage.totalTokens;
  }
}

function applies(cost: LLMRequestCost, input: CostInput): boolean {
  return (
    (cost.routeName === undefined || cost.routeName === input.routeName) &&
    (cost.backend === undefined || cost.backend === input.backend) &&
    (cost.model === undefined || cost.model === input.model)
  );
}

/**
 * Compiles every cost; a CEL expression that does not parse or type-check (it must yield an int
 * or uint) throws, so a bad config is rejected as a whole and the last good one stays.
 */
export function compileCosts(costs: readonly LLMRequestCost[]): CompiledCost[] {
  return costs.map((cost) => {
    if (cost.type !== 'CEL') {
      return {
        metadataKey: cost.metadataKey,
        cost,
        evaluate: (input) => (applies(cost, input) ? tokenCount(cost, input.usage) : undefined),
      };
    }
    let program: ReturnType<Environment['parse']>;
    try {
      program = cel().env.parse(cost.cel ?? '');
    } catch (err) {
      const why = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
      throw new Error(`llmRequestCosts ${cost.metadataKey}: CEL does not parse: ${why}`, {
        cause: err,
      });
    }
    const checked = program.check();
    if (!checked.valid || (checked.type !== 'int' && checked.type !== 'uint')) {
      const why = checked.error?.message.split('\n')[0] ?? `evaluates to ${String(checked.type)}`;
      throw new Error(`llmRequestCosts ${cost.metadataKey}: CEL must yield an int or uint: ${why}`);
    }
    return {
      metadataKey: cost.metadataKey,
      cost,
      evaluate: (input) => {
        if (!applies(cost, input)) return undefined;
        try {
          return toCount(program(celContext(input)));
        } catch {
          // A runtime error (e.g. overflow) yields no value rather than failing the response.
          return undefined;
        }
      },
    };
  });
}
