import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  jsonResponder,
  startOtelCollector,
  useHarness,
  waitFor,
  type OtelCollector,
} from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { aiBackendYaml } from './support/backend-yaml.js';
import { fakeOpenAI } from './support/fake-providers/fake-openai.js';

/**
 * Request spans over OTLP into a real OpenTelemetry Collector, through `aigw run` (real Envoy and
 * the real extproc, which inherits the `OTEL_*` variables): one span per request, parented on the
 * client's `traceparent`, one child per upstream attempt (a 503 from the primary, then the
 * fallback), and no prompt text in any exported signal unless content capture is enabled.
 */
const harness = useHarness();
const key = 'sk-traces-openai-0123';
const prompt = 'a secret prompt 7f3a9c';
const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const clientSpanId = '00f067aa0ba902b7';

interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly status?: { readonly code?: number };
  readonly attributes?: readonly { key: string; value: Record<string, unknown> }[];
}

function spansOf(collector: OtelCollector, service: string): OtlpSpan[] {
  const lines = collector.exports() as {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
      scopeSpans?: { spans?: OtlpSpan[] }[];
    }[];
  }[];
  return lines
    .flatMap((line) => line.resourceSpans ?? [])
    .filter((rs) =>
      rs.resource?.attributes?.some(
        (a) => a.key === 'service.name' && a.value.stringValue === service,
      ),
    )
    .flatMap((rs) => (rs.scopeSpans ?? []).flatMap((ss) => ss.spans ?? []));
}

function attribute(span: OtlpSpan, name: string): unknown {
  const value = span.attributes?.find((a) => a.key === name)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
}

describe('request spans over OTLP through aigw run', () => {
  let collector: OtelCollector;
  let dir: string;
  let yamlFile: string;
  const running: RunningAigw[] = [];

  beforeAll(async () => {
    dir = harness.tempDir('otel-traces');
    collector = await startOtelCollector({ dir });
    const busy = await harness.upstream(
      jsonResponder(503, { error: { message: 'busy', type: 'server_error' } }),
      { name: 'busy-openai' },
    );
    const openai = await harness.upstream(
      fakeOpenAI({ apiKey: key, azureApiKey: 'unused', usage: { input: 5, output: 3 } }),
      { name: 'openai' },
    );
    const yaml = [
      `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: traced}
spec:
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: gpt-traced}]}]
      backendRefs: [{name: busy}, {name: openai, priority: 1}]`,
      aiBackendYaml({ name: 'busy', schema: 'OpenAI', port: busy.port, key }),
      aiBackendYaml({ name: 'openai', schema: 'OpenAI', port: openai.port, key }),
    ].join('\n---');
    yamlFile = join(dir, 'gateway.yaml');
    writeFileSync(yamlFile, yaml);
  });

  afterAll(async () => {
    for (const aigw of running) await aigw.stop();
    await collector.stop();
  });

  async function tracedRun(service: string, env: Record<string, string> = {}): Promise<OpenAI> {
    const aigw = await startAigw({
      args: [yamlFile],
      name: service,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.httpEndpoint,
        OTEL_SERVICE_NAME: service,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        ...env,
      },
    });
    running.push(aigw);
    return new OpenAI({
      apiKey: 'client-key',
      baseURL: `${aigw.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { traceparent: `00-${traceId}-${clientSpanId}-01` },
    });
  }

  /** Asks once; returns the answer's text as the client got it. */
  async function ask(client: OpenAI, stream: boolean): Promise<string> {
    const messages = [{ role: 'user' as const, content: prompt }];
    if (!stream) {
      const completion = await client.chat.completions.create({ model: 'gpt-traced', messages });
      const answer = completion.choices[0]?.message.content ?? '';
      expect(answer).not.toBe('');
      return answer;
    }
    const chunks = await client.chat.completions.create({
      model: 'gpt-traced',
      messages,
      stream: true,
    });
    let text = '';
    for await (const chunk of chunks) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).not.toBe('');
    return text;
  }

  it('one span per request on the client trace, a child per attempt, no prompt text exported', async () => {
    const service = 'aigw-traces';
    const client = await tracedRun(service);
    await ask(client, false);
    await ask(client, true);
    const spans = await waitFor(
      () => {
        const all = spansOf(collector, service);
        return all.filter((s) => s.kind === 2).length === 2 &&
          all.filter((s) => s.kind === 3).length === 4
          ? all
          : undefined;
      },
      { timeoutMs: 15_000, description: 'two request spans and four attempt spans' },
    );
    const requests = spans.filter((s) => s.kind === 2);
    for (const request of requests) {
      expect(request).toMatchObject({
        traceId,
        parentSpanId: clientSpanId,
        name: 'chat gpt-traced',
      });
      expect(attribute(request, 'gen_ai.request.model')).toBe('gpt-traced');
      expect(attribute(request, 'gen_ai.provider.name')).toBe('openai');
      expect(attribute(request, 'aigw.backend')).toBe('default/openai');
      expect(attribute(request, 'aigw.attempts')).toBe('2');
      expect(attribute(request, 'gen_ai.usage.input_tokens')).toBe('5');
      expect(attribute(request, 'gen_ai.usage.output_tokens')).toBe('3');
      expect(attribute(request, 'gen_ai.input.messages')).toBeUndefined();
      const attempts = spans
        .filter((s) => s.parentSpanId === request.spanId)
        .sort(
          (a, b) => Number(attribute(a, 'aigw.attempt')) - Number(attribute(b, 'aigw.attempt')),
        );
      expect(attempts.map((a) => attribute(a, 'aigw.backend'))).toEqual([
        'default/busy',
        'default/openai',
      ]);
      // The first attempt failed (Envoy moved on to the fallback); the second answered.
      expect(attempts[0]?.status?.code).toBe(2);
      expect(attempts[1]?.status?.code ?? 0).toBe(0);
      expect(attempts.every((a) => a.traceId === traceId)).toBe(true);
    }
    // Redacted by default: the prompt is in no exported line (metrics or traces).
    const exported = JSON.stringify(collector.exports());
    expect(exported).toContain('gpt-traced');
    expect(exported).not.toContain(prompt);
  });

  it('records the request and the answer only when content capture is enabled', async () => {
    const service = 'aigw-traces-content';
    const client = await tracedRun(service, {
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    });
    const answers = [await ask(client, false), await ask(client, true)];
    const requests = await waitFor(
      () => {
        const found = spansOf(collector, service).filter((s) => s.kind === 2);
        return found.length === 2 ? found : undefined;
      },
      { timeoutMs: 15_000, description: 'the two request spans with content' },
    );
    for (const request of requests) {
      expect(JSON.parse(String(attribute(request, 'gen_ai.input.messages')))).toEqual([
        { role: 'user', content: prompt },
      ]);
    }
    // The answers as the client got them, JSON and streamed (in either span order).
    const outputs = requests.map(
      (request) => JSON.parse(String(attribute(request, 'gen_ai.output.messages'))) as unknown,
    );
    expect(outputs).toEqual(
      expect.arrayContaining(answers.map((content) => [{ role: 'assistant', content }])),
    );
  });
});
