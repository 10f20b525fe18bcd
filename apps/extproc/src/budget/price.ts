import type { FilterConfig, Price, Prices } from '@aigw/filterapi';
import type { Usage } from '@aigw/translator';
import type { CompiledCost, CostInput } from '../runtime/costs.js';

/** Prices are per this many tokens. */
const perTokens = 1_000_000n;

/** Micro-units per budget unit. */
const microPer: Readonly<Record<Prices['budgetUnit'], bigint>> = {
  micro: 1n,
  milli: 1_000n,
  cent: 10_000n,
};

/** A token count as a bigint: a count that is not a positive finite number counts 0. */
const count = (n: number | undefined): bigint =>
  n !== undefined && Number.isFinite(n) && n > 0 ? BigInt(Math.trunc(n)) : 0n;

/**
 * The cost of one request in `budgetUnit`s of the catalog currency (default micro-units), each
 * token priced once: prompt tokens that are cache reads at `cachedInput`, cache writes at
 * `cacheWrite`, the rest at `input`; completion tokens that are reasoning at `reasoning`, the rest at `output` (Usage counts
 * cached and cache-write tokens inside the input, reasoning inside the output). A price left out
 * is the `input` (cache read/write) or `output` (reasoning) price. Rounded up to a whole
 * budget unit per request, so a budget is never under-charged; computed in bigint, so exact.
 */
export function costOf(
  price: Price,
  usage: Usage,
  budgetUnit: Prices['budgetUnit'] = 'micro',
): number {
  const cached = count(usage.cachedInputTokens);
  const written = count(usage.cacheCreationInputTokens);
  const reasoning = count(usage.reasoningTokens);
  const input = count(usage.inputTokens);
  const output = count(usage.outputTokens);
  const plainInput = input > cached + written ? input - cached - written : 0n;
  const plainOutput = output > reasoning ? output - reasoning : 0n;
  const total =
    plainInput * BigInt(price.input) +
    cached * BigInt(price.cachedInput ?? price.input) +
    written * BigInt(price.cacheWrite ?? price.input) +
    plainOutput * BigInt(price.output) +
    reasoning * BigInt(price.reasoning ?? price.output);
  const divisor = perTokens * microPer[budgetUnit];
  return Number((total + divisor - 1n) / divisor);
}

/** Price lookup of one catalog. */
export interface PriceCatalog {
  readonly metadataKey: string;
  /**
   * The price of `model` on the AIServiceBackend `backend` (`namespace/name`): an entry for that
   * backend before one for any backend, an exact model before a prefix (`gpt-4o*`, longest
   * first), then the catalog's `default`; undefined when none applies.
   */
  priceOf(backend: string | undefined, model: string): Price | undefined;
  /** Whether some price applies to `model` on some backend (or the default does). */
  isPriced(model: string): boolean;
}

interface Entry {
  readonly backend: string | undefined;
  readonly model: string;
  readonly isPrefix: boolean;
  readonly price: Price;
}

function rank(entry: Entry): number {
  // Backend-specific first, then exact before prefix, then longer prefixes first.
  return (
    (entry.backend === undefined ? 0 : 1_000_000) +
    (entry.isPrefix ? 0 : 500_000) +
    entry.model.length
  );
}

/** Compiles a catalog for lookups. */
export function compilePrices(prices: Prices): PriceCatalog {
  const entries: Entry[] = prices.models
    .map((m) => ({
      backend: m.backend,
      model: m.model.endsWith('*') ? m.model.slice(0, -1) : m.model,
      isPrefix: m.model.endsWith('*'),
      price: m.price,
    }))
    .sort((a, b) => rank(b) - rank(a));
  return {
    metadataKey: prices.metadataKey,
    priceOf(backend, model) {
      const found = entries.find(
        (e) =>
          (e.backend === undefined || e.backend === backend) &&
          (e.isPrefix ? model.startsWith(e.model) : model === e.model),
      );
      return found?.price ?? prices.default;
    },
    isPriced: (model) =>
      prices.default !== undefined ||
      entries.some((e) => (e.isPrefix ? model.startsWith(e.model) : model === e.model)),
  };
}

/**
 * The catalog as one more cost of the runtime config: the money cost of a finished request,
 * written under the catalog's metadata key. The model priced is the one sent upstream (the
 * backend's `modelNameOverride`, else the client's).
 */
export function priceCost(config: FilterConfig): CompiledCost | undefined {
  if (!config.prices) return undefined;
  const catalog = compilePrices(config.prices);
  const overrides = new Map(
    config.backends
      .filter((b) => b.modelNameOverride !== undefined && b.modelNameOverride !== '')
      .map((b) => [b.name, b.modelNameOverride ?? ''] as const),
  );
  const priceFor = (input: CostInput): Price | undefined =>
    catalog.priceOf(input.serviceBackend, overrides.get(input.backend) ?? input.model);
  return {
    metadataKey: catalog.metadataKey,
    // Not an llmRequestCosts entry; the shape only labels it in logs.
    cost: { metadataKey: catalog.metadataKey, type: 'TotalToken' },
    specificity: 0,
    applies: () => true,
    evaluate: (input) => {
      const price = priceFor(input);
      return price === undefined
        ? undefined
        : costOf(price, input.usage, config.prices?.budgetUnit);
    },
  };
}

const catalogs = new WeakMap<Prices, PriceCatalog>();

/**
 * Why a request for `model` cannot be charged in money, or undefined when it can: no price (any
 * backend) and no default applies to the client's model, nor to a model a backend renames it to
 * (`modelNameOverride`). The router level refuses such a request before it goes upstream, since
 * a money budget could not charge it (docs/budgets.md).
 */
export function unpricedModel(config: FilterConfig, model: string): string | undefined {
  const prices = config.prices;
  if (!prices) return undefined;
  let catalog = catalogs.get(prices);
  if (!catalog) {
    catalog = compilePrices(prices);
    catalogs.set(prices, catalog);
  }
  if (catalog.isPriced(model)) return undefined;
  const renamed = config.backends.some(
    (b) =>
      b.modelNameOverride !== undefined &&
      b.modelNameOverride !== '' &&
      catalog.isPriced(b.modelNameOverride),
  );
  return renamed
    ? undefined
    : `model ${JSON.stringify(model)} has no price in the gateway's price catalog`;
}
