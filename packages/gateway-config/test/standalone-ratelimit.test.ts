import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getFreePort,
  jsonResponder,
  socketPath,
  useHarness,
  waitFor,
  type FakeUpstream,
  type ManagedProcess,
} from '@aigw/testkit';

import { buildStandalone, loadResources, substituteEnv } from '@aigw/gateway-config';

import { chat, chatCompletion, startExtProc, startRateLimit, writeStandalone } from './support.js';

/**
 * examples/token-ratelimit.yaml (a per-user BackendTrafficPolicy token budget and a per-model
 * QuotaPolicy with a cost expression), shrunk and pointed at a fake OpenAI, through real Envoy,
 * the extproc and apps/ratelimit: each answer is charged when its stream ends and the next
 * request over budget gets a JSON 429.
 */
const example = readFileSync(
  new URL('../../../examples/token-ratelimit.yaml', import.meta.url),
  'utf8',
);

function shrunk(port: number): string {
  const edits: [string, string][] = [
    [
      '        hostname: api.openai.com\n        port: 443',
      `        hostname: localhost\n        port: ${String(port)}`,
    ],
    ['requests: 1000', 'requests: 10'],
    ['limit: 100000\n          duration: 1h', 'limit: 30\n          duration: 1m'],
  ];
  let text = example;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`example changed: ${from}`);
    text = text.replace(from, to);
  }
  return text;
}

describe('token budgets from examples/token-ratelimit.yaml', () => {
  const harness = useHarness();
  let upstream: FakeUpstream;
  let extproc: ManagedProcess | undefined;
  let limiter: ManagedProcess | undefined;
  let url: string;

  beforeAll(async () => {
    const stateDir = harness.tempDir('rl-state');
    // 3 prompt + 2 completion tokens per answer: 5 total, quota cost 3 * 2 + 2 = 8.
    upstream = await harness.upstream(jsonResponder(200, chatCompletion('gpt-4o-mini', 5)));
    const text = substituteEnv(
      shrunk(upstream.port),
      { OPENAI_API_KEY: 'sk-test' },
      { file: 'token-ratelimit.yaml' },
    );
    const rateLimitPort = await getFreePort();
    const options = {
      listenPort: await getFreePort(),
      adminPort: await getFreePort(),
      extprocSocket: socketPath('extproc.sock', harness.tempDir('sock')),
      stateDir,
      rateLimit: { host: '127.0.0.1', port: rateLimitPort },
    };
    const config = buildStandalone(
      loadResources([{ path: 'token-ratelimit.yaml', text }]),
      options,
    );
    expect(config.needsRateLimit).toBe(true);
    writeStandalone(stateDir, config);
    extproc = await startExtProc(stateDir, options.extprocSocket);
    limiter = await startRateLimit(stateDir, rateLimitPort);
    const envoy = await harness.envoy({ bootstrap: config.bootstrap });
    await waitFor(
      async () =>
        (await envoy.stats('listener_manager.total_listeners_active'))[
          'listener_manager.total_listeners_active'
        ] === 1 || undefined,
      { timeoutMs: 10_000, description: 'listener active' },
    );
    url = `http://127.0.0.1:${String(options.listenPort)}`;
  });

  afterAll(async () => {
    await extproc?.stop();
    await limiter?.stop();
  });

  async function statuses(user: string, count: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const response = await chat(url, 'gpt-4o-mini', { 'x-user-id': user });
      out.push(response.status);
      const body = await response.text();
      if (response.status === 429) {
        expect(response.headers.get('content-type')).toBe('application/json');
        expect(JSON.parse(body)).toMatchObject({ error: { type: 'rate_limit_error' } });
      }
      // The charge is a fire-and-forget call when the stream ends.
      await sleep(300);
    }
    return out;
  }

  it('charges each user their tokens and refuses the request after the budget is spent', async () => {
    // Stay inside one minute window of the quota below.
    const left = 60 - (Math.floor(Date.now() / 1000) % 60);
    if (left < 20) await sleep(left * 1000 + 100);
    // Per user 10 tokens: 0 → 5 → 10 used; the third check passes (10 ≤ 10) and charges to 15.
    expect(await statuses(randomUUID(), 4)).toEqual([200, 200, 200, 429]);
    // The quota (30 per minute, 8 per answer) has 24 used: one more answer, then 429 for anyone.
    expect(await statuses(randomUUID(), 2)).toEqual([200, 429]);
    expect(upstream.requests).toHaveLength(4);
  });
});
