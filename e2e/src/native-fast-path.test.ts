import { join } from 'node:path';
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { useHarness, type EnvoyProcess, type FakeUpstream } from '@aigw/testkit';
import { accessLogLine as readAccessLogLine } from './support/access-log.js';
import { fakeOpenAI } from './support/fake-openai.js';
import { nativeBootstrap } from './support/native-bootstrap.js';

/**
 * Issue 6/10's "native fast path" (docs/performance.md, lever 6): what Envoy 1.40's own filters
 * do for an OpenAI → OpenAI passthrough without the extproc — the facts the bench's `native`
 * column rests on, and the gap that keeps it out of the product (streamed usage).
 */
const keys = { a: 'sk-native-aaaaaaaaaaaa', b: 'sk-native-bbbbbbbbbbbb' };

describe('native fast path: Envoy filters only, no extproc', () => {
  const harness = useHarness();
  let envoy: EnvoyProcess;
  let upstreamA: FakeUpstream;
  let upstreamB: FakeUpstream;
  let url: string;
  let accessLog: string;

  beforeAll(async () => {
    upstreamA = await harness.upstream(
      fakeOpenAI({ name: 'a', usage: { prompt: 11, completion: 7, cached: 3 } }),
      { name: 'native-a' },
    );
    upstreamB = await harness.upstream(
      fakeOpenAI({ name: 'b', usage: { prompt: 21, completion: 13, cached: 0 } }),
      { name: 'native-b' },
    );
    accessLog = join(harness.tempDir('native'), 'access.log');
    envoy = await harness.envoy({
      extraArgs: ['--file-flush-interval-msec', '50'],
      bootstrap: nativeBootstrap({
        accessLogPath: accessLog,
        backends: [
          { cluster: 'native-a', model: 'gpt-a', upstream: upstreamA, apiKey: keys.a },
          { cluster: 'native-b', model: 'gpt-b', upstream: upstreamB, apiKey: keys.b },
        ],
      }),
    });
    url = await envoy.listenerUrl('ingress');
  });

  const client = (): OpenAI =>
    new OpenAI({ apiKey: 'client-own-key', baseURL: `${url}/v1`, maxRetries: 0 });

  const accessLogLine = (
    match: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>> => readAccessLogLine(accessLog, match);

  it('routes by the body model, injects that backend key and records usage as token metadata', async () => {
    for (const [model, upstream, key, name] of [
      ['gpt-a', upstreamA, keys.a, 'a'],
      ['gpt-b', upstreamB, keys.b, 'b'],
    ] as const) {
      const before = upstream.requests.length;
      const completion = await client().chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect((completion as unknown as { backend: string }).backend).toBe(name);
      expect(upstream.requests).toHaveLength(before + 1);
      expect(upstream.requests.at(-1)?.headers.authorization).toBe(`Bearer ${key}`);
    }
    expect(await accessLogLine((l) => l.model === 'gpt-a')).toMatchObject({
      status: 200,
      cluster: 'native-a',
      input: 11,
      output: 7,
      total: 18,
      cached: 3,
    });
    expect(await accessLogLine((l) => l.model === 'gpt-b')).toMatchObject({
      cluster: 'native-b',
      total: 34,
    });
  });

  it('answers an unknown model with 404 and a body that is not JSON with 400, in OpenAI error JSON', async () => {
    const unknown = await client()
      .chat.completions.create({ model: 'nope', messages: [] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const invalid = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "gpt-a", ',
    });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
  });

  it('streams through, but records no usage: json_to_metadata reads only JSON bodies (the gap)', async () => {
    const stream = await client().chat.completions.create({
      model: 'gpt-a',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let usageSeen = 0;
    for await (const chunk of stream) usageSeen = chunk.usage?.total_tokens ?? usageSeen;
    // The client got the provider's usage chunk (18 tokens) …
    expect(usageSeen).toBe(18);
    // … but Envoy recorded none of it: no token metadata for a stream on this path.
    const line = await accessLogLine((l) => l.model === 'gpt-a' && l.total === null);
    expect(line).toMatchObject({ status: 200, cluster: 'native-a', input: null, output: null });
  });
});
