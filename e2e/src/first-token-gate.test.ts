import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '@aigw/testkit';
import { aigwAccessLines } from './support/access-log.js';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml, type BackendSchema } from './support/backend-yaml.js';
import { callWith } from './support/sdk-outcome.js';
import {
  firstTokenProvider,
  firstTokenText,
  type FirstTokenProvider,
  type FirstTokenWire,
  type StreamScript,
} from './support/fake-providers/first-token.js';
import {
  faultyProvider,
  faultyText,
  type FaultyProvider,
} from './support/fake-providers/faulty.js';

/**
 * The first-token gate (docs/resilience.md) through `aigw run`, real Envoy 1.40 and the official
 * clients: a streamed attempt on a rule with a fallback tier is held at the upstream-level
 * extproc until its first content; a provider error event, a cut, a reset or a stall before that
 * is retried on the fallback, and the client sees only the fallback's complete answer.
 *
 * Primaries are scripted streaming providers (`first-token.ts`); each fallback is a healthy
 * provider of the other wire (`faulty.ts`, always `ok`), so every fallback is a re-translation and
 * its text (`faultyText.complete`) tells who answered.
 */
const harness = useHarness();
const apiKey = 'sk-first-token-0123456789';
/** The gate's limit, given to the extproc (`AIGW_EXTPROC_FIRST_TOKEN_TIMEOUT_MS`). */
const gateMs = 1_500;
/** The per-try timeout of the `pertry` rule: shorter than the gate, to see which one fires. */
const perTryMs = 400;

type Client = 'openai' | 'anthropic';

function backend(options: { name: string; schema: BackendSchema; port: number }): string {
  return aiBackendYaml({ ...options, key: apiKey });
}

function rule(prefix: string, refs: string, timeouts = '{request: 20s}'): string {
  return `    - matches: [{headers: [{type: RegularExpression, name: x-ai-eg-model, value: '${prefix}-.*'}]}]
      timeouts: ${timeouts}
      backendRefs: ${refs}`;
}

const beforeTokenScripts: readonly StreamScript[] = [
  'error-first',
  'cut-before-token',
  'reset-before-token',
];

const pairs: readonly { client: Client; wire: FirstTokenWire }[] = [
  { client: 'openai', wire: 'openai' },
  { client: 'openai', wire: 'anthropic' },
  { client: 'anthropic', wire: 'anthropic' },
  { client: 'anthropic', wire: 'openai' },
];

describe('first-token gate through aigw run', () => {
  let aigw: RunningAigw;
  let primary: Record<FirstTokenWire, FirstTokenProvider>;
  let fallback: Record<FirstTokenWire, FaultyProvider>;
  let caseNumber = 0;
  const nextModel = (prefix: string): string => {
    caseNumber += 1;
    return `${prefix}-${String(caseNumber)}`;
  };

  beforeAll(async () => {
    primary = { openai: firstTokenProvider('openai'), anthropic: firstTokenProvider('anthropic') };
    fallback = {
      openai: faultyProvider({ wire: 'anthropic', usage: { input: 31, output: 7 } }),
      anthropic: faultyProvider({ wire: 'openai', usage: { input: 21, output: 6 } }),
    };
    const port = async (handler: FirstTokenProvider | FaultyProvider, name: string) =>
      (await harness.upstream(handler.handler, { name })).port;
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: first-token}
spec:
  rules:
${rule('gate-openai', '[{name: p-openai}, {name: f-anthropic, priority: 1}]')}
${rule('gate-anthropic', '[{name: p-anthropic}, {name: f-openai, priority: 1}]')}
${rule('pertry-openai', '[{name: p-openai-2}, {name: f-anthropic-2, priority: 1}]', `{request: 20s, backendRequest: ${String(perTryMs)}ms}`)}
${rule('solo-openai', '[{name: p-openai-3}]')}`,
      backend({ name: 'p-openai', schema: 'OpenAI', port: await port(primary.openai, 'p-openai') }),
      backend({
        name: 'p-anthropic',
        schema: 'Anthropic',
        port: await port(primary.anthropic, 'p-anthropic'),
      }),
      backend({
        name: 'f-anthropic',
        schema: 'Anthropic',
        port: await port(fallback.openai, 'f-anthropic'),
      }),
      backend({
        name: 'f-openai',
        schema: 'OpenAI',
        port: await port(fallback.anthropic, 'f-openai'),
      }),
      backend({
        name: 'p-openai-2',
        schema: 'OpenAI',
        port: await port(primary.openai, 'p-openai-2'),
      }),
      backend({
        name: 'f-anthropic-2',
        schema: 'Anthropic',
        port: await port(fallback.openai, 'f-anthropic-2'),
      }),
      backend({
        name: 'p-openai-3',
        schema: 'OpenAI',
        port: await port(primary.openai, 'p-openai-3'),
      }),
    ].join('\n---');
    const file = join(harness.tempDir('first-token'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({
      args: [file],
      env: { AIGW_EXTPROC_FIRST_TOKEN_TIMEOUT_MS: String(gateMs) },
    });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  /** The access-log lines Envoy wrote for `model`. */
  const accessLines = (model: string): Record<string, unknown>[] =>
    aigwAccessLines(aigw.output(), model);

  async function accessLine(model: string): Promise<Record<string, unknown>> {
    const lines = await waitFor(
      () => (accessLines(model).length > 0 ? accessLines(model) : undefined),
      { timeoutMs: 10_000, description: `the access-log line of ${model}` },
    );
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }

  /** The Envoy cluster of the route's rule `index`. */
  const ruleCluster = (index: number): string => `default/first-token/rule/${String(index)}`;

  /** Envoy's counter `name` (admin `/stats`), 0 when absent. */
  async function counter(name: string): Promise<number> {
    const response = await fetch(
      `http://127.0.0.1:${String(aigw.adminPort)}/stats?format=json&filter=${encodeURIComponent(`^${name}$`)}`,
    );
    const body = (await response.json()) as { stats: { name: string; value?: number }[] };
    return body.stats.find((stat) => stat.name === name)?.value ?? 0;
  }

  /** An ordinary stream on the gated rule: the primary answers it, in one attempt. */
  async function expectPrimaryServes(client: Client, wire: FirstTokenWire): Promise<void> {
    const model = nextModel(`gate-${wire}`);
    primary[wire].push('ok');
    const outcome = await callWith(client, aigw.url, { model, stream: true });
    expect(outcome).toEqual({ kind: 'success', text: firstTokenText.complete });
    expect(await accessLine(model)).toMatchObject({ status: 200, attempts: 1 });
  }

  describe.each(pairs)('$client client, $wire primary', ({ client, wire }) => {
    it.each(beforeTokenScripts)(
      '%s before the first token: the fallback answers, the client sees no error',
      async (script) => {
        const model = nextModel(`gate-${wire}`);
        const [p, f] = [primary[wire].hits.length, fallback[wire].hits.length];
        primary[wire].push(script);
        const outcome = await callWith(client, aigw.url, { model, stream: true });
        expect(outcome, JSON.stringify(outcome)).toEqual({
          kind: 'success',
          text: faultyText.complete,
        });
        // Both providers were asked, once each: the primary's attempt was retried.
        expect(primary[wire].hits.slice(p).map((hit) => hit.script)).toEqual([script]);
        expect(fallback[wire].hits.length - f).toBe(1);
        expect(fallback[wire].hits.at(-1)).toMatchObject({ model, stream: true });
        const line = await accessLine(model);
        expect(line).toMatchObject({ status: 200, attempts: 2 });
        expect(String(line.backend)).toContain(wire === 'openai' ? 'f-anthropic' : 'f-openai');
        // The gate's 503 counts as the primary's gateway failure (outlier detection ejects it
        // after three in a row): a good stream in between keeps it in, and passes the gate.
        await expectPrimaryServes(client, wire);
      },
    );

    it('a normal stream still streams: the first text reaches the client before the provider has finished', async () => {
      const model = nextModel(`gate-${wire}`);
      const p = primary[wire].hits.length;
      primary[wire].push('held-after-token');
      let text = '';
      let wasProviderFinishedAtFirstText: boolean | undefined;
      const onText = (delta: string): void => {
        if (delta !== '' && wasProviderFinishedAtFirstText === undefined) {
          wasProviderFinishedAtFirstText = primary[wire].hits[p]?.isFinished ?? true;
          primary[wire].release();
        }
        text += delta;
      };
      if (client === 'openai') {
        const sdk = new OpenAI({ baseURL: `${aigw.url}/v1`, apiKey: 'client', maxRetries: 0 });
        const parts = await sdk.chat.completions.create({
          model,
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        });
        for await (const part of parts) onText(part.choices[0]?.delta.content ?? '');
      } else {
        const sdk = new Anthropic({ baseURL: aigw.url, apiKey: 'client', maxRetries: 0 });
        const events = sdk.messages.stream({
          model,
          max_tokens: 64,
          messages: [{ role: 'user', content: 'hi' }],
        });
        events.on('text', onText);
        await events.finalMessage();
      }
      expect(wasProviderFinishedAtFirstText).toBe(false);
      expect(text).toBe(firstTokenText.complete);
      await primary[wire].hits[p]?.finished;
      expect(await accessLine(model)).toMatchObject({ status: 200, attempts: 1 });
    });

    it('a failure after the first token still ends in the error frame (no retry)', async () => {
      const model = nextModel(`gate-${wire}`);
      const f = fallback[wire].hits.length;
      primary[wire].push('cut-after-token');
      const outcome = await callWith(client, aigw.url, { model, stream: true });
      expect(outcome).toMatchObject({ kind: 'stream-error', text: 'Hello from' });
      expect(fallback[wire].hits.length - f).toBe(0);
      expect(await accessLine(model)).toMatchObject({ status: 200, attempts: 1 });
    });
  });

  it('both tiers fail before the first token: the client gets a 503 in its dialect', async () => {
    const model = nextModel('gate-anthropic');
    primary.anthropic.push('error-first');
    // The fallback of the Anthropic primary speaks OpenAI; an error-first stream there too.
    fallback.anthropic.push('error-first');
    const outcome = await callWith('anthropic', aigw.url, { model, stream: true });
    // Anthropic's type for a 503 (the gate's error body is in the client's dialect).
    expect(outcome).toMatchObject({ kind: 'http-error', status: 503, type: 'overloaded_error' });
    expect(await accessLine(model)).toMatchObject({ status: 503, attempts: 2 });
    // Both providers' streams are over: the retried one reset, the last one ended by itself.
    await primary.anthropic.hits.at(-1)?.finished;
    await expectPrimaryServes('anthropic', 'anthropic');
  });

  it('the per-try timeout keeps running while the gate holds the headers', async () => {
    const model = nextModel('pertry-openai');
    const f = fallback.openai.hits.length;
    const timeouts = `cluster.${ruleCluster(2)}.upstream_rq_per_try_timeout`;
    const timeoutsBefore = await counter(timeouts);
    primary.openai.push('stall-before-token');
    const outcome = await callWith('openai', aigw.url, { model, stream: true });
    expect(outcome).toEqual({ kind: 'success', text: faultyText.complete });
    expect(fallback.openai.hits.length - f).toBe(1);
    expect(await accessLine(model)).toMatchObject({ status: 200, attempts: 2 });
    // Envoy's per-try timeout ended the first attempt (the gate's limit is longer).
    expect((await counter(timeouts)) - timeoutsBefore).toBe(1);
  });

  it('a first token later than the gate limit (a model still thinking) is let through, not failed over', async () => {
    const model = nextModel('gate-openai');
    const [p, f] = [primary.openai.hits.length, fallback.openai.hits.length];
    primary.openai.push('slow-first-token');
    const outcome = await callWith('openai', aigw.url, { model, stream: true });
    expect(outcome).toEqual({ kind: 'success', text: firstTokenText.complete });
    expect(primary.openai.hits.slice(p).map((hit) => hit.script)).toEqual(['slow-first-token']);
    expect(fallback.openai.hits.length - f).toBe(0);
    expect(await accessLine(model)).toMatchObject({ status: 200, attempts: 1 });
  });

  it('without a fallback tier nothing is gated: an error-first stream is the error frame', async () => {
    const model = nextModel('solo-openai');
    primary.openai.push('error-first');
    const outcome = await callWith('openai', aigw.url, { model, stream: true });
    expect(outcome).toMatchObject({ kind: 'stream-error', text: '' });
    expect(await accessLine(model)).toMatchObject({ status: 200, attempts: 1 });
  });

  it('messages per request: only a streamed request on a rule with a fallback pays for the gate', async () => {
    const messages = async (rule: number): Promise<{ sent: number; received: number }> => ({
      sent: await counter(`cluster.${ruleCluster(rule)}.ext_proc.stream_msgs_sent`),
      received: await counter(`cluster.${ruleCluster(rule)}.ext_proc.stream_msgs_received`),
    });
    const delta = async (
      rule: number,
      call: () => Promise<unknown>,
    ): Promise<{ sent: number; received: number }> => {
      const before = await messages(rule);
      await call();
      // The upstream stream's last messages may be counted just after the client's answer.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await messages(rule);
      return { sent: after.sent - before.sent, received: after.received - before.received };
    };
    // The scripted primary always streams: a non-streamed call gets an SSE body it cannot read,
    // which changes nothing here (the count is of the extproc's messages).
    const call = (prefix: string, stream: boolean) => async () => {
      const model = nextModel(prefix);
      primary.openai.push('ok');
      const outcome = await callWith('openai', aigw.url, { model, stream });
      if (stream) expect(outcome).toEqual({ kind: 'success', text: firstTokenText.complete });
      await accessLine(model);
    };
    // Gated rule, not streamed: the request headers only, as without the gate.
    const jsonOnGated = await delta(0, call('gate-openai', false));
    // No fallback: not gated, request headers only.
    const streamSolo = await delta(3, call('solo-openai', true));
    // Gated stream: response headers, every body chunk and the trailers too.
    const streamGated = await delta(0, call('gate-openai', true));
    console.log(JSON.stringify({ jsonOnGated, streamSolo, streamGated }));
    expect(jsonOnGated).toEqual({ sent: 1, received: 1 });
    expect(streamSolo).toEqual({ sent: 1, received: 1 });
    expect(streamGated.sent).toBeGreaterThan(2);
  });
});
