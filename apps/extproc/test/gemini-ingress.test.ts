import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  commonOf,
  envoy,
  immediateOf,
  requestIdOf,
  setHeadersOf,
  type TestServer,
} from './support/ext-proc-harness.js';
import { backends, keys, startGateway } from './support/gateway.js';

/**
 * The native Gemini API at the extproc: the router level takes the model from the path (the
 * route header), refuses in Google's format, keeps a `?key=` out of the original-path metadata; the
 * upstream level translates to an OpenAI backend and answers `countTokens` itself.
 */
const path = '/v1beta/models/gpt-a:streamGenerateContent?alt=sse&key=client-secret';
const body = { contents: [{ role: 'user', parts: [{ text: 'one two three four' }] }] };

describe('Gemini ingress at the extproc', () => {
  let gateway: TestServer;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway.stop();
  });

  it('sets the model header from the path and drops the key from the original path', async () => {
    const router = gateway.open();
    requestIdOf(await router.send(envoy.post(path, { 'x-goog-api-key': 'client-secret' })));
    const response = await router.send(envoy.requestBody(body));
    const common = commonOf(response, 'requestBody');
    const set = setHeadersOf(common.headerMutation);
    expect(set['x-ai-eg-model']).toBe('gpt-a');
    expect(response.dynamicMetadata?.['io.envoy.ai_gateway']).toEqual({
      original_path: '/v1beta/models/gpt-a:streamGenerateContent?alt=sse',
      request_model: 'gpt-a',
    });
    expect(common.clearRouteCache).toBe(true);
    router.end();
    await router.status;
  });

  it('answers an unknown model and a bad body in Google’s format', async () => {
    const unknown = gateway.open();
    await unknown.send(envoy.post('/v1beta/models/nope:generateContent'));
    const notFound = immediateOf(await unknown.send(envoy.requestBody(body)));
    expect(notFound.status?.code).toBe(404);
    expect(JSON.parse(notFound.body.toString('utf8'))).toEqual({
      error: {
        code: 404,
        message: 'model "nope" is not configured in the gateway',
        status: 'NOT_FOUND',
      },
    });
    unknown.end();
    const bad = gateway.open();
    await bad.send(envoy.post('/v1beta/models/gpt-a:generateContent'));
    const invalid = immediateOf(await bad.send(envoy.requestBody('[1]')));
    expect(invalid.status?.code).toBe(400);
    expect(JSON.parse(invalid.body.toString('utf8'))).toMatchObject({
      error: { code: 400, status: 'INVALID_ARGUMENT' },
    });
    bad.end();
    await Promise.all([unknown.status, bad.status]);
  });

  it('translates generateContent for an OpenAI backend: chat completions, the client key removed', async () => {
    const router = gateway.open();
    const id = requestIdOf(await router.send(envoy.post(path)));
    await router.send(envoy.requestBody(body));
    const upstream = gateway.open();
    const headers = { ':path': path, 'x-ai-eg-internal-req-id': id, 'x-goog-api-key': 'c' };
    const common = commonOf(
      await upstream.send(envoy.upstreamHeaders(headers, backends.a)),
      'requestHeaders',
    );
    expect(setHeadersOf(common.headerMutation)).toMatchObject({
      ':path': '/v1/chat/completions',
      authorization: `Bearer ${keys.a}`,
    });
    expect(common.headerMutation?.removeHeaders).toContain('x-goog-api-key');
    const sent = JSON.parse(bodyOf(common) ?? '{}') as Record<string, unknown>;
    expect(sent).toMatchObject({
      model: 'gpt-a',
      messages: [{ role: 'user', content: 'one two three four' }],
      stream: true,
    });
    upstream.end();
    router.end();
    await Promise.all([upstream.status, router.status]);
  });

  it('answers countTokens for an OpenAI backend with the local estimate', async () => {
    const countPath = '/v1beta/models/gpt-a:countTokens';
    const router = gateway.open();
    const id = requestIdOf(await router.send(envoy.post(countPath)));
    await router.send(envoy.requestBody(body));
    const upstream = gateway.open();
    const reply = immediateOf(
      await upstream.send(
        envoy.upstreamHeaders({ ':path': countPath, 'x-ai-eg-internal-req-id': id }, backends.a),
      ),
    );
    expect(reply.status?.code).toBe(200);
    expect(reply.details).toBe('aigw_count_tokens_estimate');
    // ceil(("user" + "one two three four") bytes / 4) + 4 per content + 3 per request.
    expect(JSON.parse(reply.body.toString('utf8'))).toEqual({ totalTokens: 6 + 4 + 3 });
    expect(setHeadersOf(reply.headers)).toMatchObject({ 'x-aigw-local-reply': 'true' });
    upstream.end();
    router.end();
    await Promise.all([upstream.status, router.status]);
  });
});
