import { describe, expect, it } from 'vitest';

import { routerExtProcPosition } from './filter-order.js';

const h = (name: string): string => `envoy.filters.http.${name}`;

describe('routerExtProcPosition (upstream TestInsertAIGatewayExtProcFilter cases)', () => {
  it.each([
    { title: 'only the router', names: [h('router')], want: 0 },
    {
      title: 'after cors and jwt, before the router',
      names: [h('cors'), h('jwt_authn'), h('router')],
      want: 2,
    },
    {
      title: 'before another ext_proc',
      names: [h('cors'), h('ext_proc/other'), h('router')],
      want: 1,
    },
    { title: 'before wasm', names: [h('wasm/x'), h('router')], want: 0 },
    {
      title: 'before rate limits',
      names: [h('basic_auth'), h('local_ratelimit'), h('ratelimit'), h('router')],
      want: 1,
    },
    {
      title: 'before the credential injector',
      names: [h('credential_injector/x'), h('router')],
      want: 0,
    },
    {
      title: 'after a buffer that sits after the insertion point',
      names: [h('lua/x'), h('buffer'), h('router')],
      want: 2,
    },
    {
      title: 'a buffer before the insertion point changes nothing',
      names: [h('buffer'), h('cors'), h('router')],
      want: 2,
    },
    { title: 'at the end when nothing matches', names: [h('cors')], want: 1 },
    { title: 'empty chain', names: [], want: 0 },
  ])('$title → $want', ({ names, want }) => {
    expect(routerExtProcPosition(names)).toBe(want);
  });
});
