import { describe, expect, it } from 'vitest';
import type { LLMRequestCost } from '@aigw/filterapi';
import type { Usage } from '@aigw/translator';
import { compileCosts, evaluateCosts, type CompiledCost, type CostInput } from './costs.js';

const usage: Usage = {
  inputTokens: 100,
  outputTokens: 40,
  totalTokens: 140,
  cachedInputTokens: 30,
  cacheCreationInputTokens: 20,
  reasoningTokens: 12,
};

function input(overrides: Partial<CostInput> = {}): CostInput {
  return {
    usage,
    model: 'gpt-a',
    backend: 'ns/backend-a/route/route-a/rule/0/ref/0',
    serviceBackend: 'ns/backend-a',
    routeName: 'ns/route-a',
    ...overrides,
  };
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
    { type: 'CacheCreationInputToken', expected: 20 },
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
    ['cache_creation_input_tokens', 20],
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

  it('counts no cache-creation tokens when the backend reported none', () => {
    const without: Usage = { ...usage };
    delete without.cacheCreationInputTokens;
    expect(compileOne(cel('cache_creation_input_tokens')).evaluate(input({ usage: without }))).toBe(
      0,
    );
  });

  it.each([
    ['ns/a/route/r/rule/0/ref/0', 'ns/route-a', 100],
    ['ns/b/route/r/rule/0/ref/0', 'ns/route-a', 0],
    ['ns/b/route/r/rule/0/ref/0', 'ns/route-b', 1],
  ])('conditions on backend %s and route %s: %d', (backend, routeName, expected) => {
    const cost = compileOne(
      cel(
        'backend == "ns/a/route/r/rule/0/ref/0" ? input_tokens : (route_name == "ns/route-b" ? 1u : 0u)',
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
    { scope: { routeName: 'ns/route-a' }, applies: true },
    { scope: { routeName: 'ns/route-b' }, applies: false },
    { scope: { backend: 'ns/backend-a' }, applies: true },
    { scope: { backend: 'ns/backend-b' }, applies: false },
    // The full backend name narrows the scope to one backendRef.
    { scope: { backend: 'ns/backend-a/route/route-a/rule/0/ref/0' }, applies: true },
    { scope: { backend: 'ns/backend-a/route/route-a/rule/0/ref/1' }, applies: false },
    { scope: { model: 'gpt-a' }, applies: true },
    { scope: { model: 'gpt-b' }, applies: false },
    { scope: { routeName: 'ns/route-a', backend: 'ns/backend-a', model: 'gpt-a' }, applies: true },
    { scope: { routeName: 'ns/route-a', backend: 'ns/backend-a', model: 'gpt-b' }, applies: false },
    { scope: { routeName: 'ns/route-b', backend: 'ns/backend-a', model: 'gpt-a' }, applies: false },
    { scope: {}, applies: true },
  ])('a cost scoped to $scope applies: $applies', ({ scope, applies }) => {
    const tokens = compileOne({ metadataKey: 'k', type: 'InputToken', ...scope });
    const expression = compileOne({ ...cel('input_tokens'), ...scope });
    const expected = applies ? 100 : undefined;
    expect(tokens.evaluate(input())).toBe(expected);
    expect(expression.evaluate(input())).toBe(expected);
  });
});

describe('cost precedence', () => {
  const costs = compileCosts([
    { metadataKey: 'charge', type: 'TotalToken' },
    { metadataKey: 'charge', type: 'InputToken', routeName: 'ns/route-a' },
    { metadataKey: 'charge', type: 'OutputToken', routeName: 'ns/route-b' },
    { metadataKey: 'charge', type: 'CEL', cel: '1u', routeName: 'ns/route-a', model: 'gpt-z' },
    { metadataKey: 'other', type: 'ReasoningToken' },
  ]);

  it.each([
    ['ns/route-a', 'gpt-a', 100],
    ['ns/route-b', 'gpt-a', 40],
    ['ns/route-c', 'gpt-a', 140],
    ['', 'gpt-a', 140],
    ['ns/route-a', 'gpt-z', 1],
  ])(
    'route %s, model %s is charged %d: the most specific applying cost wins',
    (routeName, model, charge) => {
      expect(evaluateCosts(costs, input({ routeName, model }))).toEqual(
        new Map([
          ['charge', charge],
          ['other', 12],
        ]),
      );
    },
  );

  it('writes nothing for a key whose winning cost fails at runtime', () => {
    const failing = compileCosts([
      { metadataKey: 'k', type: 'TotalToken' },
      { ...cel('output_tokens - input_tokens', 'k'), routeName: 'ns/route-a' },
    ]);
    expect(evaluateCosts(failing, input())).toEqual(new Map());
  });
});
