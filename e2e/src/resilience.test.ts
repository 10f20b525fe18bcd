import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useHarness, waitFor } from '@aigw/testkit';
import { aigwAccessLines } from './support/access-log.js';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml, type BackendSchema } from './support/backend-yaml.js';
import { callWith, type Outcome } from './support/sdk-outcome.js';
import {
  faultyProvider,
  faultyText,
  type Fault,
  type FaultyHit,
  type FaultyProvider,
  type FaultyWire,
} from './support/fake-providers/faulty.js';

/**
 * What a client sees for each provider fault, with and without a fallback backend, through
 * `aigw run` (real Envoy, extproc and the generated retry policy) and the official `openai` and
 * `@anthropic-ai/sdk` clients. Two faulty primaries (one speaking OpenAI, one Anthropic) take
 * their faults from a queue the test fills per request; each has a healthy fallback of the other
 * schema at priority 1, so every fallback is also a re-translation.
 *
 * Models: `solo-<wire>-<case>` routes to the primary alone, `fb-<wire>-<case>` to the primary
 * and its fallback; the case id makes each request's access-log line its own.
 */
const harness = useHarness();
const apiKey = 'sk-resilience-0123456789';
/** The per-try timeout of every rule (`timeouts.backendRequest`); `slow` waits longer. */
const perTryMs = 1_000;

type Mode = 'solo' | 'fb';
type Client = 'openai' | 'anthropic';

const usages = {
  primaryOpenAI: { input: 11, output: 3 },
  primaryAnthropic: { input: 13, output: 4 },
  primaryBedrock: { input: 17, output: 5 },
  fallbackOpenAI: { input: 21, output: 6 },
  fallbackAnthropic: { input: 31, output: 7 },
} as const;

type Schema = BackendSchema;

function backend(options: { name: string; schema: Schema; port: number }): string {
  const key = options.schema === 'AWSBedrock' ? 'resilience/secret/0123456789' : apiKey;
  return aiBackendYaml({ ...options, key });
}

function rule(prefix: string, refs: string): string {
  return `    - matches: [{headers: [{type: RegularExpression, name: x-ai-eg-model, value: '${prefix}-.*'}]}]
      timeouts: {request: 20s, backendRequest: ${String(perTryMs)}ms}
      backendRefs: ${refs}`;
}

/**
 * A 200 stream that fails: an error frame, except an error event first with a fallback: the
 * first-token gate holds the 200 until the first event and retries that attempt on the next tier
 * (docs/resilience.md, First-token gate).
 */
function committedStream(fault: 'cut' | 'error-first', mode: Mode): Outcome['kind'] {
  return fault === 'error-first' && mode === 'fb' ? 'success' : 'stream-error';
}

/** What the client should see for `fault` (the same for both clients and both wires). */
function expected(fault: Fault, mode: Mode, stream: boolean): Outcome['kind'] {
  switch (fault) {
    case 'ok':
      return 'success';
    case '5xx':
    case '429':
    case 'reset':
    case 'slow':
      // Before any response header: the router may retry on the next priority.
      return mode === 'fb' ? 'success' : 'http-error';
    case 'cut':
    case 'error-first':
      // A 200 was committed: no retry; the error arrives inside the stream — or, for a JSON
      // answer cut short, as the extproc's 502 (it cannot read the partial body).
      return stream ? committedStream(fault, mode) : 'http-error';
    case 'cut-reset':
      return 'connection-error';
  }
}

const statusOf: Partial<Record<Fault, number>> = {
  '5xx': 503,
  '429': 429,
  reset: 503,
  slow: 504,
  cut: 502,
};

interface Case {
  readonly client: Client;
  readonly wire: FaultyWire;
  readonly mode: Mode;
  readonly fault: Fault;
  readonly stream: boolean;
}

const jsonFaults: readonly Fault[] = ['ok', '5xx', '429', 'reset', 'slow', 'cut'];
const streamFaults: readonly Fault[] = [
  'ok',
  '5xx',
  '429',
  'reset',
  'cut',
  'cut-reset',
  'error-first',
];
/** The provider wires a client can reach: Anthropic's Messages API has no Bedrock Converse translator. */
const wiresFor = (client: Client): readonly FaultyWire[] =>
  client === 'openai' ? ['openai', 'anthropic', 'bedrock'] : ['openai', 'anthropic'];

const cases: Case[] = (['openai', 'anthropic'] as const).flatMap((client) =>
  wiresFor(client).flatMap((wire) =>
    (['solo', 'fb'] as const).flatMap((mode) => [
      ...jsonFaults.map((fault) => ({ client, wire, mode, fault, stream: false })),
      ...streamFaults.map((fault) => ({ client, wire, mode, fault, stream: true })),
    ]),
  ),
);

/** What the client got and what Envoy logged, for a fault the client sees. */
function checkOutcome(seen: {
  outcome: Outcome;
  fault: Fault;
  line: Record<string, unknown>;
}): void {
  const { outcome, fault, line } = seen;
  switch (outcome.kind) {
    case 'success':
      expect(outcome.text).toBe(faultyText.complete);
      return;
    case 'http-error':
      expect(outcome.status).toBe(statusOf[fault]);
      expect(line).toMatchObject({ status: statusOf[fault], attempts: 1 });
      // An error body in the client's dialect, whatever the provider's or Envoy's was.
      expect(outcome.type).toMatch(/^[a-z_]+$/);
      // A 429 stays a 429 with its retry-after.
      if (fault === '429') expect(outcome.retryAfter).toBe('1');
      return;
    case 'stream-error':
      expect(outcome.text).toBe(fault === 'cut' ? faultyText.beforeCut : '');
      return;
    case 'connection-error':
      // The text before the reset reached the client.
      expect(outcome.text).toBe(faultyText.beforeCut);
  }
}

/** The fallback got a request re-translated for its own schema; its tokens count, once. */
function checkFallback(served: {
  hit: FaultyHit;
  line: Record<string, unknown>;
  wire: FaultyWire;
  model: string;
  stream: boolean;
}): void {
  const { hit, line, wire, model, stream } = served;
  expect(hit.path).toBe(wire === 'openai' ? '/v1/messages' : '/v1/chat/completions');
  expect(hit.model).toBe(model);
  expect(hit.stream).toBe(stream);
  const usage = wire === 'openai' ? usages.fallbackAnthropic : usages.fallbackOpenAI;
  expect(line).toMatchObject({
    status: 200,
    attempts: 2,
    input_tokens: usage.input,
    output_tokens: usage.output,
  });
  expect(String(line.backend)).toContain(wire === 'openai' ? 'f-anthropic' : 'f-openai');
}

describe('provider faults through aigw run, as the official SDKs see them', () => {
  let aigw: RunningAigw;
  let primary: Record<FaultyWire, FaultyProvider>;
  let fallback: Record<FaultyWire, FaultyProvider>;
  let caseNumber = 0;

  beforeAll(async () => {
    const slowMs = 4 * perTryMs;
    primary = {
      openai: faultyProvider({ wire: 'openai', usage: usages.primaryOpenAI, slowMs }),
      anthropic: faultyProvider({ wire: 'anthropic', usage: usages.primaryAnthropic, slowMs }),
      bedrock: faultyProvider({ wire: 'bedrock', usage: usages.primaryBedrock, slowMs }),
    };
    // The fallback of a wire speaks another one (Bedrock's falls back to OpenAI's).
    fallback = {
      openai: faultyProvider({ wire: 'anthropic', usage: usages.fallbackAnthropic }),
      anthropic: faultyProvider({ wire: 'openai', usage: usages.fallbackOpenAI }),
      bedrock: faultyProvider({ wire: 'openai', usage: usages.fallbackOpenAI }),
    };
    const port = async (provider: FaultyProvider, name: string): Promise<number> =>
      (await harness.upstream(provider.handler, { name })).port;
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: resilience}
spec:
  rules:
${rule('solo-openai', '[{name: p-openai}]')}
${rule('solo-anthropic', '[{name: p-anthropic}]')}
${rule('fb-openai', '[{name: p-openai}, {name: f-anthropic, priority: 1}]')}
${rule('fb-anthropic', '[{name: p-anthropic}, {name: f-openai, priority: 1}]')}
${rule('solo-bedrock', '[{name: p-bedrock}]')}
${rule('fb-bedrock', '[{name: p-bedrock}, {name: f-openai-2, priority: 1}]')}`,
      backend({ name: 'p-openai', schema: 'OpenAI', port: await port(primary.openai, 'p-openai') }),
      backend({
        name: 'p-anthropic',
        schema: 'Anthropic',
        port: await port(primary.anthropic, 'p-anthropic'),
      }),
      backend({
        name: 'f-openai',
        schema: 'OpenAI',
        port: await port(fallback.anthropic, 'f-openai'),
      }),
      backend({
        name: 'f-anthropic',
        schema: 'Anthropic',
        port: await port(fallback.openai, 'f-anthropic'),
      }),
      backend({
        name: 'p-bedrock',
        schema: 'AWSBedrock',
        port: await port(primary.bedrock, 'p-bedrock'),
      }),
      backend({
        name: 'f-openai-2',
        schema: 'OpenAI',
        port: await port(fallback.bedrock, 'f-openai-2'),
      }),
    ].join('\n---');
    const file = join(harness.tempDir('resilience'), 'gateway.yaml');
    writeFileSync(file, yaml);
    aigw = await startAigw({ args: [file] });
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
      {
        timeoutMs: 10_000,
        description: `the access-log line of ${model}`,
      },
    );
    // One line per client request, however many attempts it took: counted once.
    expect(lines).toHaveLength(1);
    return lines[0]!;
  }

  it.each(cases)(
    '$client client, $wire primary ($mode), $fault, stream=$stream',
    async ({ client, wire, mode, fault, stream }) => {
      caseNumber += 1;
      const model = `${mode}-${wire}-${String(caseNumber)}`;
      const [primaryBefore, fallbackBefore] = [
        primary[wire].hits.length,
        fallback[wire].hits.length,
      ];
      primary[wire].push(fault);
      const outcome = await callWith(client, aigw.url, { model, stream });
      const kind = expected(fault, mode, stream);
      expect(outcome, JSON.stringify(outcome)).toMatchObject({ kind });
      expect(primary[wire].hits.length - primaryBefore).toBe(1);
      const servedByFallback = kind === 'success' && fault !== 'ok';
      expect(fallback[wire].hits.length - fallbackBefore).toBe(servedByFallback ? 1 : 0);

      const line = await accessLine(model);
      checkOutcome({ outcome, fault, line });
      if (servedByFallback)
        checkFallback({ hit: fallback[wire].hits.at(-1)!, line, wire, model, stream });
      if (fault === 'ok') {
        const usage = {
          openai: usages.primaryOpenAI,
          anthropic: usages.primaryAnthropic,
          bedrock: usages.primaryBedrock,
        }[wire];
        expect(line).toMatchObject({ status: 200, attempts: 1, input_tokens: usage.input });
      }
    },
  );

  it.each(['openai', 'anthropic'] as const)(
    "a 429 without a fallback: the %s SDK's own retry waits for retry-after and succeeds",
    async (client) => {
      const wire: FaultyWire = client;
      caseNumber += 1;
      const model = `solo-${wire}-${String(caseNumber)}`;
      const before = primary[wire].hits.length;
      primary[wire].push('429', 'ok');
      const outcome = await callWith(client, aigw.url, { model, stream: false, maxRetries: 2 });
      expect(outcome).toEqual({ kind: 'success', text: faultyText.complete });
      // The provider was asked twice: the 429, then the SDK's retry.
      const hits = primary[wire].hits.slice(before);
      expect(hits.map((hit) => hit.fault)).toEqual(['429', 'ok']);
      // Two client requests, two access-log lines: the 429 without tokens, then the answer.
      const lines = await waitFor(
        () => (accessLines(model).length === 2 ? accessLines(model) : undefined),
        { timeoutMs: 10_000, description: `two access-log lines of ${model}` },
      );
      expect(lines.map((line) => line.status)).toEqual([429, 200]);
      expect(lines[0]?.input_tokens).toBeNull();
    },
  );

  it('a fallback that fails too: the client gets the last tier’s error, both providers asked once', async () => {
    caseNumber += 1;
    const model = `fb-openai-${String(caseNumber)}`;
    const [p, f] = [primary.openai.hits.length, fallback.openai.hits.length];
    primary.openai.push('5xx');
    fallback.openai.push('429');
    const outcome = await callWith('openai', aigw.url, { model, stream: false });
    expect(outcome).toMatchObject({ kind: 'http-error', status: 429, retryAfter: '1' });
    expect([primary.openai.hits.length - p, fallback.openai.hits.length - f]).toEqual([1, 1]);
    expect(await accessLine(model)).toMatchObject({ status: 429, attempts: 2 });
  });

  it('no errors beyond the injected ones: every process is still up', () => {
    expect(aigw.process.exitStatus()).toBeUndefined();
    expect(aigw.output()).not.toMatch(/exited unexpectedly/);
  });
});
