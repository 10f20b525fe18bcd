import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonResponder, useHarness, type FakeUpstream } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { fakeAnthropic } from './support/fake-providers/fake-anthropic.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * Fallback after a provider's 5xx, across schemas, through `aigw run` (real Envoy + extproc).
 * Envoy hands a retry the headers the previous attempt's upstream filter left and re-sends the
 * client's original body: the extproc must find the request again (the internal id header was
 * removed on the wire), translate it afresh for the next backend, undo the previous backend's
 * headers, and report the right body length — a wrong `content-length` made the next provider
 * wait for bytes that never came, and the client hang.
 */
const harness = useHarness();
const keys = { openai: 'sk-fallback-openai-0123', anthropic: 'sk-ant-fallback-4567' };

describe('fallback after a 503, re-translated for the next backend', () => {
  let aigw: RunningAigw;
  let overloadedAnthropic: FakeUpstream;
  let overloadedOpenAI: FakeUpstream;
  let openai: FakeUpstream;
  let anthropic: FakeUpstream;

  beforeAll(async () => {
    overloadedAnthropic = await harness.upstream(
      jsonResponder(503, {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
      }),
      { name: 'overloaded-anthropic' },
    );
    overloadedOpenAI = await harness.upstream(
      jsonResponder(503, { error: { message: 'busy', type: 'server_error' } }),
      { name: 'overloaded-openai' },
    );
    openai = await harness.upstream(
      fakeOpenAI({ apiKey: keys.openai, azureApiKey: 'unused', usage: { input: 5, output: 3 } }),
      { name: 'openai' },
    );
    anthropic = await harness.upstream(
      fakeAnthropic({ apiKey: keys.anthropic, usage: { input: 7, output: 2 } }),
      { name: 'anthropic' },
    );
    const backend = (options: {
      name: string;
      schema: 'OpenAI' | 'Anthropic';
      port: number;
      key: 'openai' | 'anthropic';
    }): string => aiBackendYaml({ ...options, key: keys[options.key] });
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: fallback}
spec:
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: claude-first}]}]
      backendRefs: [{name: busy-anthropic}, {name: openai, priority: 1}]
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: openai-first}]}]
      backendRefs: [{name: busy-openai}, {name: anthropic, priority: 1}]`,
      backend({
        name: 'busy-anthropic',
        schema: 'Anthropic',
        port: overloadedAnthropic.port,
        key: 'anthropic',
      }),
      backend({
        name: 'busy-openai',
        schema: 'OpenAI',
        port: overloadedOpenAI.port,
        key: 'openai',
      }),
      backend({ name: 'openai', schema: 'OpenAI', port: openai.port, key: 'openai' }),
      backend({ name: 'anthropic', schema: 'Anthropic', port: anthropic.port, key: 'anthropic' }),
    ].join('\n---');
    const file = join(harness.tempDir('fallback-5xx'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({ args: [file] });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  async function chat(model: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${aigw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'fall back please' }] }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('Anthropic (translated body) answers 503 → OpenAI gets the client’s body and its own key', async () => {
    const { status, body } = await chat('claude-first');
    expect(status).toBe(200);
    expect(JSON.stringify(body.choices)).toContain('fall back please');
    const failed = overloadedAnthropic.requests.at(-1);
    expect(failed?.url).toBe('/v1/messages');
    const served = openai.requests.at(-1);
    expect(served?.url).toBe('/v1/chat/completions');
    // The client's own body, with a content-length that matches it.
    expect(JSON.parse(served!.body.toString('utf8'))).toMatchObject({ model: 'claude-first' });
    expect(served?.headers['content-length']).toBe(String(served!.body.byteLength));
    // The previous backend's headers are gone; this backend's credential is set.
    expect(served?.headers.authorization).toBe(`Bearer ${keys.openai}`);
    expect(served?.headers['x-api-key']).toBeUndefined();
    expect(served?.headers['anthropic-version']).toBeUndefined();
  });

  it('OpenAI (client’s body) answers 503 → Anthropic gets a translated body', async () => {
    const { status, body } = await chat('openai-first');
    expect(status).toBe(200);
    expect(body.object).toBe('chat.completion');
    expect(JSON.stringify(body.choices)).toContain('fall back please');
    expect(overloadedOpenAI.requests.at(-1)?.url).toBe('/v1/chat/completions');
    const served = anthropic.requests.at(-1);
    expect(served?.url).toBe('/v1/messages');
    const sent = JSON.parse(served!.body.toString('utf8')) as Record<string, unknown>;
    expect(sent).toHaveProperty('max_tokens');
    expect(served?.headers['content-length']).toBe(String(served!.body.byteLength));
    expect(served?.headers['x-api-key']).toBe(keys.anthropic);
    expect(served?.headers.authorization).toBeUndefined();
  });
});
