import { describe, expect, it } from 'vitest';
import {
  applyBodyMutation,
  applyHeaderMutation,
  BodyMutationError,
  HeaderPlan,
  restoreHeaders,
} from './mutations.js';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const parsed = (body: Uint8Array | undefined): unknown =>
  body === undefined ? undefined : JSON.parse(new TextDecoder().decode(body));

describe('HeaderPlan', () => {
  it('keeps one decision per header, in first-decision order', () => {
    const plan = new HeaderPlan();
    plan.apply({ set: [['content-type', 'application/json']], remove: ['x-a'] });
    plan.set(':path', '/v1/x');
    plan.set('x-a', 'back');
    plan.remove('content-type');
    expect(plan.sets).toEqual([
      ['x-a', 'back'],
      [':path', '/v1/x'],
    ]);
    expect(plan.removals).toEqual(['content-type']);
    expect([...plan.names()]).toEqual(['x-a', 'content-type', ':path']);
  });
});

describe('applyHeaderMutation', () => {
  it('removes, then sets, and skips protected names', () => {
    const plan = new HeaderPlan();
    applyHeaderMutation(
      plan,
      {
        set: [
          { name: 'x-team', value: 'a' },
          { name: 'authorization', value: 'mine' },
        ],
        remove: ['x-team', 'x-debug', 'api-key'],
      },
      (name) => name === 'authorization' || name === 'api-key',
    );
    expect(plan.sets).toEqual([['x-team', 'a']]);
    expect(plan.removals).toEqual(['x-debug']);
  });

  it('does nothing without a mutation', () => {
    const plan = new HeaderPlan();
    applyHeaderMutation(plan, undefined, () => false);
    expect([...plan.names()]).toEqual([]);
  });
});

describe('restoreHeaders', () => {
  const original = new Map([
    ['authorization', 'Bearer client'],
    ['x-keep', '1'],
  ]);

  it('undoes what earlier attempts changed and this one leaves alone', () => {
    const plan = new HeaderPlan();
    plan.set('x-mine', 'now');
    restoreHeaders(plan, {
      touched: ['authorization', 'x-other', 'x-mine', ':path', 'x-keep'],
      original,
      current: new Map([
        ['authorization', 'Bearer backend-key'],
        ['x-other', 'from attempt 1'],
        ['x-keep', '1'],
      ]),
    });
    expect(plan.sets).toEqual([
      ['x-mine', 'now'],
      ['authorization', 'Bearer client'],
    ]);
    expect(plan.removals).toEqual(['x-other']);
  });

  it('changes nothing when Envoy hands the retry the original headers', () => {
    const plan = new HeaderPlan();
    restoreHeaders(plan, { touched: ['authorization', 'x-gone'], original, current: original });
    expect([...plan.names()]).toEqual([]);
  });
});

describe('applyBodyMutation', () => {
  it('removes, then sets top-level fields from JSON text', () => {
    const body = applyBodyMutation(bytes({ model: 'm', user: 'u', n: 1 }), {
      set: [
        { path: 'n', value: '2' },
        { path: 'tier', value: '"flex"' },
        { path: 'user', value: 'null' },
        { path: 'nested', value: '{"a":[true]}' },
      ],
      remove: ['user', 'absent'],
    });
    expect(parsed(body)).toEqual({
      model: 'm',
      n: 2,
      tier: 'flex',
      user: null,
      nested: { a: [true] },
    });
  });

  it('treats a path as one field name (top level only)', () => {
    const body = applyBodyMutation(bytes({ a: { b: 1 } }), {
      set: [
        { path: 'a.b', value: '2' },
        { path: '__proto__', value: '{"polluted":true}' },
      ],
    });
    expect(parsed(body)).toEqual({ a: { b: 1 }, 'a.b': 2, ['__proto__']: { polluted: true } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([undefined, {}, { set: [], remove: [] }])(
    'returns undefined for no mutation: %j',
    (m) => {
      expect(applyBodyMutation(bytes({ a: 1 }), m)).toBeUndefined();
    },
  );

  it.each([
    ['not JSON', new TextEncoder().encode('{nope')],
    ['an array', bytes([1, 2])],
    ['a string', bytes('text')],
  ])('throws a BodyMutationError for a body that is %s', (_, body) => {
    expect(() => applyBodyMutation(body, { remove: ['a'] })).toThrow(BodyMutationError);
  });
});
