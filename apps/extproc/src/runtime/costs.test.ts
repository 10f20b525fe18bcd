import { describe, expect, it } from 'vitest';
import type { LLMRequestCost } from '@aigw/filterapi';
import type { Usage } from '@aigw/translator';
import { compileCosts, type CompiledCost, type CostInput } from './costs.js';

const usage: Usage = {
  inputTokens: 100,
  outputTokens: 40,
  totalTokens: 140,
  cachedInputTokens: 30,
  reasoningTokens: 12,
};

function input(overrides: Partial<CostInput> = {}): CostInput {
  return { usage, model: 'gpt-a', backend: 'backend-a', routeName: 'route-a', ...overrides };
}

function compileOne(cost: LLMRequestCost): CompiledCost {
  const [compiled] = compileCosts([cost]);
  return compiled!;
}

const cel = (expression: string, metadataKey = 'cel_cost'): LLMRequestCost => ({
  metadataKey,
  type: 'CEL',
  cel: expression,
});

describe('token costs', () => {
  it.each([
    { type: 'InputToken', expected: 100 },
    { type: 'CachedInputToken', expected: 30 },
    // No translator reports cache-creation tokens yet: always 0.
    { type: 'CacheCreationInputToken', expected: 0 },
    { type: 'OutputToken', expected: 40 },
    { type: 'ReasoningToken', expected: 12 },
    { type: 'TotalToken', expected: 140 },
  ] as const)('$type counts $expected tokens', ({ type, expected }) => {
    const cost = compileOne({ metadataKey: 'k', type });
    expect(cost.metadataKey).toBe('k');
    expect(cost.evaluate(input())).toBe(expected);
  });

  it('compiles every entry in order and keeps the configured cost', () => {
    const costs: LLMRequestCost[] = [
      { metadataKey: 'in', type: 'InputToken' },
      cel('total_tokens', 'total'),
    ];
    const compiled = compileCosts(costs);
    expect(compiled.map((c) => c.metadataKey)).toEqual(['in', 'total']);
    expect(compiled.map((c) => c.cost)).toEqual(costs);
    expect(compiled.map((c) => c.evaluate(input()))).toEqual([100, 140]);
  });

  it('compiles an empty list to nothing', () => {
    expect(compileCosts([])).toEqual([]);
  });
});

describe('CEL costs', () => {
  it.each([
    ['input_tokens', 100],
    ['cached_input_tokens', 30],
    ['cache_creation_input_tokens', 0],
    ['output_tokens', 40],
    ['total_tokens', 140],
    ['reasoning_tokens', 12],
    ['input_tokens + output_tokens * 4u', 260],
    ['input_tokens - cached_input_tokens', 70],
    ['42', 42],
    ['7u', 7],
    ['size(model)', 5],
  ])('%s = %d', (expression, expected) => {
    expect(compileOne(cel(expression)).evaluate(input())).toBe(expected);
  });

  it.each([
    ['gpt-a', 'backend-a', 200],
    ['gpt-b', 'backend-a', 40],
  ])('conditions on the model: %s via %s costs %d', (model, backend, expected) => {
    const cost = compileOne(cel('model == "gpt-a" ? input_tokens * 2u : output_tokens'));
    expect(cost.evaluate(input({ model, backend }))).toBe(expected);
  });

  it.each([
    ['backend-a', 'route-a', 100],
    ['backend-b', 'route-a', 0],
    ['backend-b', 'route-b', 1],
  ])('conditions on backend %s and route %s: %d', (backend, routeName, expected) => {
    const cost = compileOne(
      cel(
        'backend == "backend-a" ? input_tokens : (route_name == "route-b" ? 1u : 0u)',
        'by_backend',
      ),
    );
    expect(cost.evaluate(input({ backend, routeName }))).toBe(expected);
  });

  it('sees fractional or negative token counts as whole non-negative uints', () => {
    const cost = compileOne(cel('input_tokens + output_tokens'));
    const odd: Usage = { ...usage, inputTokens: 2.9, outputTokens: -5 };
    expect(cost.evaluate(input({ usage: odd }))).toBe(2);
  });

  it.each([
    ['a string', '"free"', /evaluates to string/],
    ['a bool', 'input_tokens > 10u', /evaluates to bool/],
    ['a double', '1.5', /evaluates to double/],
    ['an unknown variable', 'prompt_tokens + 1u', /Unknown variable: prompt_tokens/],
    ['mixed int and uint', 'input_tokens + 1', /no such overload/],
  ])('rejects at compile time an expression yielding %s, naming the metadataKey', (_, e, why) => {
    const compile = () =>
      compileCosts([{ metadataKey: 'fine', type: 'InputToken' }, cel(e, 'my_cost')]);
    expect(compile).toThrow(/^llmRequestCosts my_cost: CEL must yield an int or uint: /);
    expect(compile).toThrow(why);
  });

  // Regression test (found by review before release).
  it('rejects an expression that does not parse, naming the metadataKey', () => {
    expect(() => compileCosts([cel('input_tokens +', 'broken_cost')])).toThrow(/broken_cost/);
  });

  it('rejects an expression that does not parse (without the metadataKey today)', () => {
    expect(() => compileCosts([cel('input_tokens +', 'broken_cost')])).toThrow();
  });

  it.each([
    ['uint underflow', 'output_tokens - input_tokens'],
    ['uint overflow', '18446744073709551615u + input_tokens'],
    ['division by zero', 'input_tokens / (output_tokens - 40u)'],
    ['a negative int', '-1'],
  ])('yields undefined on %s at runtime instead of throwing', (_, expression) => {
    const cost = compileOne(cel(expression));
    expect(() => cost.evaluate(input())).not.toThrow();
    expect(cost.evaluate(input())).toBeUndefined();
  });
});

describe('cost scoping', () => {
  it.each([
    { scope: { routeName: 'route-a' }, applies: true },
    { scope: { routeName: 'route-b' }, applies: false },
    { scope: { backend: 'backend-a' }, applies: true },
    { scope: { backend: 'backend-b' }, applies: false },
    { scope: { model: 'gpt-a' }, applies: true },
    { scope: { model: 'gpt-b' }, applies: false },
    { scope: { routeName: 'route-a', backend: 'backend-a', model: 'gpt-a' }, applies: true },
    { scope: { routeName: 'route-a', backend: 'backend-a', model: 'gpt-b' }, applies: false },
    { scope: { routeName: 'route-b', backend: 'backend-a', model: 'gpt-a' }, applies: false },
    { scope: {}, applies: true },
  ])('a cost scoped to $scope applies: $applies', ({ scope, applies }) => {
    const tokens = compileOne({ metadataKey: 'k', type: 'InputToken', ...scope });
    const expression = compileOne({ ...cel('input_tokens'), ...scope });
    const expected = applies ? 100 : undefined;
    expect(tokens.evaluate(input())).toBe(expected);
    expect(expression.evaluate(input())).toBe(expected);
  });
});
