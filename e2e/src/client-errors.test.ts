import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import { jsonResponder, useHarness, type FakeUpstream } from '@aigw/testkit';
import { startTestExtProc, type TestExtProc } from './support/extproc-harness.js';
import { gatewayBootstrap } from './support/gateway-bootstrap.js';

/**
 * What a client reads when the gateway refuses or cannot serve a request: exactly one error, in the
 * client's own dialect (OpenAI's `{"error":{message,type,…}}` or Anthropic's
 * `{"type":"error","error":{type,message}}`), whose message is a sentence — never a whole
 * serialized error inside another error's `message` string. Through real Envoy: the upstream-level
 * refusals are local replies of a cluster filter, which Envoy's router hands back as if the
 * provider had answered, so the router level must know them for its own.
 */
const anthropicBackend = 'default/anthropic/route/errors/rule/0/ref/0';
const openaiBackend = 'default/openai/route/errors/rule/1/ref/0';
const vertexBackend = 'default/vertex/route/errors/rule/2/ref/0';

interface OpenAIErrorBody {
  error: { message: string; type: string };
}
interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** The message must be a sentence, not JSON (no serialized error inside a string). */
function expectOneLevel(message: string): void {
  expect(message.length).toBeGreaterThan(0);
  expect(message).not.toMatch(/^\s*[{[]/);
  expect(message).not.toContain('"error"');
  expect(message).not.toContain('\\"');
}

describe('errors a client can read: one level, in the client’s dialect', () => {
  const harness = useHarness();
  let extproc: TestExtProc;
  let url: string;
  let anthropic: FakeUpstream;
  let openai: FakeUpstream;
  let vertex: FakeUpstream;

  beforeAll(async () => {
    const dir = harness.tempDir('errors');
    writeFileSync(join(dir, 'key'), 'sk-test-errors-key\n');
    writeFileSync(join(dir, 'gcp-token'), 'ya29.test-errors-token\n');
    // Each answers 200, but the refused requests must never reach them.
    anthropic = await harness.upstream(jsonResponder(200, { never: 'used' }), {
      name: 'anthropic',
    });
    openai = await harness.upstream(jsonResponder(200, { never: 'used' }), { name: 'openai' });
    // A provider that answers 200 with a body no Gemini client could read.
    vertex = await harness.upstream(
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>upstream proxy error</html>');
      },
      { name: 'vertex' },
    );
    const config: FilterConfigInput = {
      version: 'v1',
      backends: [
        {
          name: anthropicBackend,
          schema: { name: 'Anthropic' },
          auth: { anthropicApiKey: { file: join(dir, 'key') } },
        },
        {
          name: openaiBackend,
          schema: { name: 'OpenAI' },
          auth: { apiKey: { file: join(dir, 'key') } },
        },
        {
          name: vertexBackend,
          schema: { name: 'GCPVertexAI' },
          auth: { gcp: { tokenFile: join(dir, 'gcp-token'), region: 'r1', projectName: 'p1' } },
        },
      ],
      routes: {
        rules: [
          { models: ['claude-x'], cluster: 'anthropic' },
          { models: ['gpt-x'], cluster: 'openai' },
          { models: ['gemini-x'], cluster: 'vertex' },
        ],
      },
    };
    extproc = await startTestExtProc({ dir, config });
    const envoy = await harness.envoy({
      bootstrap: gatewayBootstrap({
        extprocSocket: extproc.socket,
        accessLogPath: join(dir, 'access.log'),
        backends: [
          { cluster: 'anthropic', backendName: anthropicBackend, upstream: anthropic },
          { cluster: 'openai', backendName: openaiBackend, upstream: openai },
          { cluster: 'vertex', backendName: vertexBackend, upstream: vertex },
        ],
      }),
    });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await extproc.stop();
  });

  async function post(path: string, body: object): Promise<{ status: number; json: unknown }> {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify(body),
    });
    expect(response.headers.get('content-type')).toContain('application/json');
    // The marker between the extproc's levels never reaches a client.
    expect(response.headers.get('x-aigw-local-reply')).toBeNull();
    const json: unknown = await response.json();
    return { status: response.status, json };
  }

  it('OpenAI client, request the Anthropic translator refuses: one OpenAI error (400)', async () => {
    const before = anthropic.requests.length;
    const { status, json } = await post('/v1/chat/completions', {
      model: 'claude-x',
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }],
    });
    expect(status).toBe(400);
    const body = json as OpenAIErrorBody;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toBe(
      'messages[0].content[0]: content part type "input_audio" is not supported by Anthropic backends',
    );
    expectOneLevel(body.error.message);
    expect(anthropic.requests.length).toBe(before);
  });

  it('Anthropic client, request the OpenAI translator refuses: one Anthropic error (400)', async () => {
    const before = openai.requests.length;
    const { status, json } = await post('/v1/messages', {
      model: 'gpt-x',
      max_tokens: 16,
      messages: [
        {
          role: 'user',
          content: [{ type: 'document', source: { type: 'url', url: 'https://x/y.pdf' } }],
        },
      ],
    });
    expect(status).toBe(400);
    const body = json as AnthropicErrorBody;
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('is not supported by OpenAI backends');
    expectOneLevel(body.error.message);
    expect(openai.requests.length).toBe(before);
  });

  it('Anthropic client, bad JSON (router level): one Anthropic error (400)', async () => {
    const response = await fetch(`${url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model": "claude-x", ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as AnthropicErrorBody;
    expect(body.type).toBe('error');
    expectOneLevel(body.error.message);
  });

  it('OpenAI client, a 200 the provider’s schema cannot read: one OpenAI error (502)', async () => {
    const { status, json } = await post('/v1/chat/completions', {
      model: 'gemini-x',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(status).toBe(502);
    const body = json as OpenAIErrorBody;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error.type).toBe('server_error');
    expectOneLevel(body.error.message);
    expect(vertex.requests.length).toBeGreaterThan(0);
  });
});
