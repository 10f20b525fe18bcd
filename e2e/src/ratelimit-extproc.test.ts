import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  useHarness,
  waitFor,
  type EnvoyProcess,
  type FakeUpstream,
  type RedisProcess,
} from '@aigw/testkit';
import { startTestExtProc, type TestExtProc } from './support/extproc-harness.js';
import { fakeOpenAI } from './support/fake-openai.js';
import { gatewayBootstrap, withTokenBudget } from './support/gateway-bootstrap.js';
import { checkOnly, startRls, type RlsProcess } from './support/ratelimit-process.js';

/**
 * The whole data plane for token budgets: client → Envoy → our extproc (model routing, usage →
 * `io.envoy.ai_gateway:llm_total_token`) → fake OpenAI backend, with the HTTP ratelimit filter
 * configured as Envoy Gateway does for token limits (request-time check with `hits_addend: 0`,
 * `apply_on_stream_done` entry charging the metadata) → our RLS process → real Redis.
 */
const domain = 'ai-gateway';
const backend = 'default/openai-a/route/r/rule/0/ref/0';
// 11 prompt + 7 completion tokens per answer (fakeOpenAI), 40 tokens per user per minute.
const rlsConfig = `
domain: ai-gateway
descriptors:
  - key: route
    value: chat
    descriptors:
      - key: user
        rate_limit: {unit: minute, requests_per_unit: 40}
`;

const actions = [
  { generic_key: { descriptor_key: 'route', descriptor_value: 'chat' } },
  { request_headers: { header_name: 'x-user', descriptor_key: 'user' } },
];

describe('token budgets through Envoy + our extproc + our RLS + Redis', () => {
  const harness = useHarness();
  let envoy: EnvoyProcess;
  let extproc: TestExtProc;
  let upstream: FakeUpstream;
  let redis: RedisProcess;
  let rls: RlsProcess;
  let url: string;

  beforeAll(async () => {
    const dir = harness.tempDir('rl-gw');
    redis = await harness.redis();
    writeFileSync(join(dir, 'key-a'), 'sk-test-key\n');
    writeFileSync(join(dir, 'limits.yaml'), rlsConfig);
    const rlsSocket = join(dir, 'rls.sock');
    rls = await startRls({
      name: 'ratelimit',
      address: `unix:${rlsSocket}`,
      args: ['--config-dir', dir, '--store', 'redis', '--redis-url', redis.url],
    });
    upstream = await harness.upstream(
      fakeOpenAI({ name: 'a', usage: { prompt: 11, completion: 7, cached: 0 } }),
      { name: 'openai-a' },
    );
    extproc = await startTestExtProc({
      dir,
      config: {
        version: 'v1',
        backends: [
          {
            name: backend,
            schema: { name: 'OpenAI' },
            auth: { apiKey: { file: join(dir, 'key-a') } },
          },
        ],
        routes: { rules: [{ models: ['gpt-a'], cluster: 'openai-a' }] },
      },
    });
    envoy = await harness.envoy({
      bootstrap: withTokenBudget(
        gatewayBootstrap({
          extprocSocket: extproc.socket,
          accessLogPath: join(dir, 'access.log'),
          backends: [{ cluster: 'openai-a', backendName: backend, upstream }],
        }),
        { rlsSocket, actions, domain, timeout: '2s' },
      ),
    });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await extproc.stop();
    await rls.stop();
  });

  it.each([
    { kind: 'JSON', stream: false },
    { kind: 'streamed (SSE)', stream: true },
  ])(
    '$kind answers charge their token usage when the stream ends, until 429',
    async ({ stream }) => {
      const left = 60 - (Math.floor(Date.now() / 1000) % 60);
      if (left < 15) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 100));
      const user = randomUUID();
      const remaining = async (): Promise<number | undefined> =>
        (
          await rls.shouldRateLimit(
            checkOnly(domain, [
              ['route', 'chat'],
              ['user', user],
            ]),
          )
        ).statuses[0]?.limitRemaining;
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-user': user },
          body: JSON.stringify({ model: 'gpt-a', stream, messages: [] }),
        });
        statuses.push(response.status);
        await response.text();
        if (response.status !== 200) continue;
        const expected = Math.max(0, 40 - 18 * (i + 1));
        await waitFor(async () => (await remaining()) === expected || undefined, {
          timeoutMs: 5000,
          description: `remaining ${String(expected)} tokens`,
        });
      }
      // Budget 40: 0 → 18 → 36 used; the third check passes (36 ≤ 40) and charges to 54.
      expect(statuses).toEqual([200, 200, 200, 429]);
    },
  );
});
