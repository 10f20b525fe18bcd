import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { useHarness, type FakeUpstream, type UpstreamHandler } from '@aigw/testkit';
import { startAigw, type RunningAigw } from './support/aigw-process.js';
import { apiKeyObjects, backendObjects, modelRouteObject } from './support/backend-yaml.js';

/**
 * A 2xx the gateway cannot translate, through `aigw run` and a real Envoy: an OpenAI-compatible
 * backend answers 200 with a body that is not a JSON object (a proxy's HTML page, say). Anthropic
 * and Gemini clients get a 502 in their own error format (the extproc's `aigw_unreadable_response`),
 * never OpenAI's body or the page; the same backend's good answers translate as usual.
 */
const harness = useHarness();
const key = 'sk-untranslatable-2xx';
const page = '<html><body>502 from a proxy in front of the provider</body></html>';

/** 200 with the page for model `gpt-page`, else a chat completion. */
function provider(): UpstreamHandler {
  return (req, res) => {
    const body = JSON.parse(req.body.toString('utf8')) as { model?: string };
    const payload =
      body.model === 'gpt-page'
        ? page
        : JSON.stringify({
            id: 'chatcmpl-1',
            model: 'gpt-good-2024',
            choices: [
              { index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' },
            ],
            usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
          });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(payload);
  };
}

describe('a 2xx the gateway cannot translate', () => {
  let upstream: FakeUpstream;
  let aigw: RunningAigw;

  beforeAll(async () => {
    upstream = await harness.upstream(provider(), { name: 'page-openai' });
    const docs = [
      modelRouteObject('chat', [
        ['gpt-page', 'openai'],
        ['gpt-good', 'openai'],
      ]),
      ...backendObjects('openai', { name: 'OpenAI' }, upstream),
      ...apiKeyObjects('openai', key),
    ];
    const file = join(harness.tempDir('untranslatable'), 'gateway.yaml');
    writeFileSync(file, docs.map((doc) => stringify(doc)).join('---\n'));
    aigw = await startAigw({ args: [file] });
  });

  afterAll(async () => {
    await aigw.stop();
  });

  async function post(path: string, body: object): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${aigw.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(text).not.toContain('<html>');
    return { status: res.status, json: JSON.parse(text) as unknown };
  }

  const messages = (model: string): object => ({
    model,
    max_tokens: 5,
    messages: [{ role: 'user', content: 'hi' }],
  });
  const contents = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

  it('is a 502 in Anthropic’s format for an Anthropic client', async () => {
    const { status, json } = await post('/v1/messages', messages('gpt-page'));
    expect(status).toBe(502);
    expect(json).toEqual({
      type: 'error',
      error: {
        type: 'api_error',
        message: 'the provider returned a response the gateway could not read',
      },
    });
    const good = await post('/v1/messages', messages('gpt-good'));
    expect(good.status).toBe(200);
    expect(good.json).toMatchObject({ type: 'message', model: 'gpt-good-2024' });
  });

  it('is a 502 in Google’s format for a Gemini client', async () => {
    const { status, json } = await post('/v1beta/models/gpt-page:generateContent', contents);
    expect(status).toBe(502);
    expect(json).toEqual({
      error: {
        code: 502,
        message: 'the provider returned a response the gateway could not read',
        status: 'UNAVAILABLE',
      },
    });
    const good = await post('/v1beta/models/gpt-good:generateContent', contents);
    expect(good.status).toBe(200);
    expect(good.json).toMatchObject({ modelVersion: 'gpt-good-2024' });
    expect(upstream.requests.map((r) => r.url)).toEqual(Array(4).fill('/v1/chat/completions'));
  });
});
