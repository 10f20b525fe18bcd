import { createRequire } from 'node:module';
import type * as CelJs from '@marcbachmann/cel-js';
import type { Environment } from '@marcbachmann/cel-js';
import { costCelVariables, type LLMRequestCost } from '@aigw/filterapi';
import type { Usage } from '@aigw/translator';
import { ExtprocError } from '../errors.js';

/** What a cost expression can see about one finished request. */
export interface CostInput {
  readonly usage: Usage;
  /** The client's model (CEL `model`; the `model` scope). */
  readonly model: string;
  /**
   * The filterapi backend name (CEL `backend`): what upstream's extproc passes, the per-route-rule
   * name `<ns>/<backend>/route/<route>/rule/<i>/ref/<j>` (its API doc's "name.namespace" predates
   * that naming). QuotaPolicy costs match on it.
   */
  readonly backend: string;
  /**
   * The AIServiceBackend as `namespace/name`: what a cost's `backend` scope names (a scope equal
   * to the full {@link backend} name matches too, narrowing the cost to one backendRef).
   */
  readonly serviceBackend: string;
  /** The AIGatewayRoute as `namespace/name`, `''` when unknown (CEL `route_name`; the scope). */
  readonly routeName: string;
}

/** A configured `llmRequestCosts` entry, compiled once per config. */
export interface CompiledCost {
  readonly metadataKey: string;
  readonly cost: LLMRequestCost;
  /** How many of `routeName`, `backend`, `model` the cost sets: the most specific one wins. */
  readonly specificity: number;
  /** Whether the cost's scope covers the request. */
  applies(input: CostInput): boolean;
  /** The cost for one request, or undefined when it does not apply or cannot be computed. */
  evaluate(input: CostInput): number | undefined;
}

interface CelEngine {
  /** The environment with `costCelVariables` (`@aigw/filterapi`) registered. */
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
  for (const [name, type] of Object.entries(costCelVariables))
    env = env.registerVariable(name, type);
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
    cache_creation_input_tokens: uint(usage.cacheCreationInputTokens ?? 0),
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
      return usage.cacheCreationInputTokens ?? 0;
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
    (cost.backend === undefined ||
      cost.backend === input.serviceBackend ||
      cost.backend === input.backend) &&
    (cost.model === undefined || cost.model === input.model)
  );
}

/**
 * Compiles every cost; a CEL expression that does not parse or type-check (it must yield an int
 * or uint) throws, so a bad config is rejected as a whole and the last good one stays.
 */
export function compileCosts(costs: readonly LLMRequestCost[]): CompiledCost[] {
  return costs.map((cost): CompiledCost => {
    const scope = {
      metadataKey: cost.metadataKey,
      cost,
      specificity: [cost.routeName, cost.backend, cost.model].filter((s) => s !== undefined).length,
      applies: (input: CostInput) => applies(cost, input),
    };
    if (cost.type !== 'CEL') {
      return {
        ...scope,
        evaluate: (input) => (applies(cost, input) ? tokenCount(cost, input.usage) : undefined),
      };
    }
    let program: ReturnType<Environment['parse']>;
    try {
      program = cel().env.parse(cost.cel ?? '');
    } catch (err) {
      const why = err instanceof Error ? (err.message.split('\n')[0] ?? err.message) : String(err);
      throw new ExtprocError(
        'config_invalid',
        `llmRequestCosts ${cost.metadataKey}: CEL does not parse: ${why}`,
        { cause: err },
      );
    }
    const checked = program.check();
    if (!checked.valid || (checked.type !== 'int' && checked.type !== 'uint')) {
      const why = checked.error?.message.split('\n')[0] ?? `evaluates to ${String(checked.type)}`;
      throw new ExtprocError(
        'config_invalid',
        `llmRequestCosts ${cost.metadataKey}: CEL must yield an int or uint: ${why}`,
      );
    }
    return {
      ...scope,
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

/**
 * The costs of one request, by metadata key: for each key the applying cost with the most scope
 * fields set (a route's cost over the global one, as upstream's route costs override
 * `GatewayConfig.globalLLMRequestCosts`), the first in config order among equals. A winner that
 * cannot be computed writes nothing; it does not fall back to a less specific cost.
 */
export function evaluateCosts(
  costs: readonly CompiledCost[],
  input: CostInput,
): Map<string, number> {
  const winners = new Map<string, CompiledCost>();
  for (const cost of costs) {
    if (!cost.applies(input)) continue;
    const current = winners.get(cost.metadataKey);
    if (!current || cost.specificity > current.specificity) winners.set(cost.metadataKey, cost);
  }
  const values = new Map<string, number>();
  for (const [key, cost] of winners) {
    const value = cost.evaluate(input);
    if (value !== undefined) values.set(key, value);
  }
  return values;
}
