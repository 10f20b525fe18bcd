import { describe, expect, it } from 'vitest';
import { FilterConfigSchema, filterConfigVersion, type FilterConfigInput } from '@aigw/filterapi';
import { emptyUsage, type Usage } from '@aigw/translator';
import { compilePrices, costOf, priceCost, unpricedModel } from './price.js';

const usage = (over: Partial<Usage>): Usage => ({ ...emptyUsage(), ...over });

// Micro-USD per 1M tokens: $3 input, $0.30 cache read, $3.75 cache write, $15 output, $20 reasoning.
const price = {
  input: 3_000_000,
  cachedInput: 300_000,
  cacheWrite: 3_750_000,
  output: 15_000_000,
  reasoning: 20_000_000,
};

const config = (
  prices: FilterConfigInput['prices'],
  backends: FilterConfigInput['backends'] = [],
) => FilterConfigSchema.parse({ version: filterConfigVersion, prices, backends });

describe('prices', () => {
  it('prices plain input and output', () => {
    // 1M input × $3 + 1M output × $15 = $18.
    expect(costOf(price, usage({ inputTokens: 1e6, outputTokens: 1e6 }))).toBe(18_000_000);
  });

  it('prices cache reads, cache writes and reasoning apart from the tokens they are part of', () => {
    // Input 1000 = 600 cache reads + 300 cache writes + 100 plain; output 500 = 200 reasoning + 300.
    const cost = costOf(
      price,
      usage({
        inputTokens: 1000,
        cachedInputTokens: 600,
        cacheCreationInputTokens: 300,
        outputTokens: 500,
        reasoningTokens: 200,
      }),
    );
    // (100×3 + 600×0.3 + 300×3.75 + 300×15 + 200×20) micro-USD = 300+180+1125+4500+4000.
    expect(cost).toBe(10_105);
  });

  it('falls back to the input price for cache reads and writes, to output for reasoning', () => {
    const plain = { input: 1_000_000, output: 2_000_000 };
    const cost = costOf(
      plain,
      usage({ inputTokens: 10, cachedInputTokens: 4, outputTokens: 10, reasoningTokens: 5 }),
    );
    expect(cost).toBe(10 + 20);
  });

  it('counts a count that is not a positive finite number as 0 (never throws on the response path)', () => {
    const odd = usage({ inputTokens: Number.NaN, outputTokens: 2.7, reasoningTokens: -1 });
    expect(costOf({ input: 1_000_000, output: 1_000_000 }, odd)).toBe(2);
  });

  it('rounds a fraction of a micro-unit up, once per request', () => {
    expect(costOf({ input: 1, output: 1 }, usage({ inputTokens: 1, outputTokens: 1 }))).toBe(1);
    expect(costOf({ input: 1, output: 1 }, usage({}))).toBe(0);
  });

  it('counts in milli-units or cents when the catalog says so, rounding up', () => {
    // $18 = 18,000 milli-dollars = 1,800 cents.
    const big = usage({ inputTokens: 1e6, outputTokens: 1e6 });
    expect(costOf(price, big, 'milli')).toBe(18_000);
    expect(costOf(price, big, 'cent')).toBe(1_800);
    expect(costOf(price, usage({ inputTokens: 1 }), 'cent')).toBe(1);
  });

  it('is exact beyond 2^53 intermediate products', () => {
    const big = { input: 2_000_000_000_000, output: 0 };
    expect(costOf(big, usage({ inputTokens: 9_000_000 }))).toBe(18_000_000_000_000);
  });

  it('finds the backend-specific price, then any backend, exact before prefix, then the default', () => {
    const catalog = compilePrices(
      config({
        currency: 'USD',
        default: { input: 9, output: 9 },
        models: [
          { model: 'gpt-4o*', price: { input: 2, output: 2 } },
          { model: 'gpt-4o-mini', price: { input: 1, output: 1 } },
          { backend: 'default/azure', model: 'gpt-4o*', price: { input: 3, output: 3 } },
        ],
      }).prices ?? { currency: 'USD', metadataKey: 'x', budgetUnit: 'micro', models: [] },
    );
    expect(catalog.priceOf('default/openai', 'gpt-4o-mini')?.input).toBe(1);
    expect(catalog.priceOf('default/openai', 'gpt-4o-2024')?.input).toBe(2);
    expect(catalog.priceOf('default/azure', 'gpt-4o-mini')?.input).toBe(3);
    expect(catalog.priceOf('default/openai', 'claude')?.input).toBe(9);
  });

  it('writes the cost under the catalog key, pricing the model sent upstream', () => {
    const cost = priceCost(
      config(
        {
          currency: 'EUR',
          metadataKey: 'cost_eur',
          models: [{ model: 'upstream-model', price: { input: 1_000_000, output: 0 } }],
        },
        [
          {
            name: 'default/b/route/r/rule/0/ref/0',
            schema: { name: 'OpenAI' },
            modelNameOverride: 'upstream-model',
          },
        ],
      ),
    );
    expect(cost?.metadataKey).toBe('cost_eur');
    const input = {
      usage: usage({ inputTokens: 7 }),
      model: 'alias',
      backend: 'default/b/route/r/rule/0/ref/0',
      serviceBackend: 'default/b',
      routeName: 'default/r',
    };
    expect(cost?.evaluate(input)).toBe(7);
    // Another backend, no override: the client's model, which has no price → no value.
    expect(cost?.evaluate({ ...input, backend: 'other' })).toBeUndefined();
  });

  it('refuses a model with no price and no default; a default prices everything', () => {
    const models = [{ model: 'gpt-4o', price: { input: 1, output: 1 } }];
    expect(unpricedModel(config({ currency: 'USD', models }), 'gpt-4o')).toBeUndefined();
    expect(unpricedModel(config({ currency: 'USD', models }), 'llama')).toBe(
      `model "llama" has no price in the gateway's price catalog`,
    );
    const withDefault = config({ currency: 'USD', models, default: { input: 1, output: 1 } });
    expect(unpricedModel(withDefault, 'llama')).toBeUndefined();
    expect(unpricedModel(config(undefined), 'llama')).toBeUndefined();
  });

  it.each([
    [{ currency: 'dollars', models: [] }, 'prices.currency: must be an ISO 4217 code such as USD'],
    [
      { currency: 'USD', budgetUnit: 'dollar', models: [] },
      'prices.budgetUnit: Invalid option: expected one of "micro"|"milli"|"cent"',
    ],
    [
      { currency: 'USD', models: [{ model: 'm', price: { input: -1, output: 1 } }] },
      'prices.models.0.price.input: Too small: expected number to be >=0',
    ],
    [
      { currency: 'USD', models: [{ model: 'm', price: { input: 1 } }] },
      'prices.models.0.price.output: Invalid input: expected number, received undefined',
    ],
  ])('refuses the catalog %o', (prices, problem) => {
    const result = FilterConfigSchema.safeParse({ version: filterConfigVersion, prices });
    expect(result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([problem]);
  });
});
