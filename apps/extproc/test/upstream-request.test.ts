import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extProc } from '@aigw/proto';
import {
  bodyOf,
  commonOf,
  envoy,
  immediateOf,
  type TestServer,
} from './support/ext-proc-harness.js';
import {
  backends,
  clientKey,
  keys,
  routeRequest,
  startGateway,
  untranslatedSchema,
  type RoutedRequest,
} from './support/gateway.js';

const { CONTINUE, CONTINUE_AND_REPLACE } = extProc.CommonResponse_ResponseStatus;
const internalId = 'x-ai-eg-internal-req-id';
/** The gateway's own headers the upstream level removes (docs/extproc.md, Headers). */
const internal = [internalId, 'x-ai-eg-model'];

/** What a client sends besides the body: its own credentials in every header we know. */
const clientCredentials = {
  authorization: `Bearer ${clientKey}`,
  'api-key': clientKey,
  'x-api-key': clientKey,
};

function setOf(common: extProc.CommonResponse): [string, string][] {
  return (common.headerMutation?.setHeaders ?? []).map((option) => [
    option.header?.key ?? '',
    option.header?.rawValue.toString('utf8') ?? '',
  ]);
}

describe('upstream level: request headers', () => {
  let gateway: TestServer;
  const open: RoutedRequest[] = [];

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    for (const { router } of open) router.end();
    await gateway.stop();
  });

  async function routed(body: object, path?: string): Promise<RoutedRequest> {
    const request = await routeRequest(gateway, body, path === undefined ? {} : { path });
    open.push(request);
    return request;
  }

  async function attempt(
    id: string | undefined,
    backend: string | undefined,
    headers: Readonly<Record<string, string>> = clientCredentials,
  ): Promise<extProc.ProcessingResponse> {
    const upstream = gateway.open();
    const response = await upstream.send(
      envoy.upstreamHeaders(
        {
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          ...(id === undefined ? {} : { [internalId]: id }),
          ...headers,
        },
        backend,
      ),
    );
    upstream.end();
    await upstream.status;
    return response;
  }

  it('passes the body through, sets :path and the backend key, and strips client credentials', async () => {
    const { id } = await routed({ model: 'gpt-a', messages: [] });
    const response = await attempt(id, backends.a);
    const common = commonOf(response, 'requestHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(bodyOf(common)).toBeUndefined();
    expect(common.clearRouteCache).toBe(false);
    expect(setOf(common)).toEqual([
      [':path', '/v1/chat/completions'],
      ['authorization', `Bearer ${keys.a}`],
    ]);
    expect(common.headerMutation?.removeHeaders).toEqual([
      'api-key',
      'x-api-key',
      'x-goog-api-key',
      ...internal,
      // The cluster header (this config routes) has done its work.
      'x-ai-eg-cluster',
    ]);
    // The length of the body sent (here the client's, unchanged): Envoy re-adds content-length.
    expect(response.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': { backend_name: backends.a, content_length: '31' },
    });
  });

  it('uses the backend prefix, keeps the query and sends x-api-key for an anthropicApiKey backend', async () => {
    const { id } = await routed({ model: 'gpt-a' }, '/v1/chat/completions?api-version=1&x=a%20b');
    const common = commonOf(await attempt(id, backends.x), 'requestHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(setOf(common)).toEqual([
      [':path', '/chat/completions?api-version=1&x=a%20b'],
      ['x-api-key', keys.x],
    ]);
    expect(common.headerMutation?.removeHeaders).toEqual([
      'authorization',
      'api-key',
      'x-goog-api-key',
      ...internal,
      // The cluster header (this config routes) has done its work.
      'x-ai-eg-cluster',
    ]);
  });

  it.each([
    ['/v1/completions', '/v1/completions'],
    ['/v1/embeddings', '/v1/embeddings'],
  ])('maps %s to %s', async (path, upstreamPath) => {
    const { id } = await routed({ model: 'gpt-a', input: 'x' }, path);
    const common = commonOf(await attempt(id, backends.a), 'requestHeaders');
    expect(setOf(common)[0]).toEqual([':path', upstreamPath]);
  });

  it('replaces the body with the overridden model and reports its content length', async () => {
    const body = {
      temperature: 0.2,
      model: 'gpt-b',
      messages: [{ role: 'user', content: 'héllo 👋' }],
    };
    const { id } = await routed(body);
    const response = await attempt(id, backends.b);
    const common = commonOf(response, 'requestHeaders');
    expect(common.status).toBe(CONTINUE_AND_REPLACE);
    const sent = bodyOf(common)!;
    expect(JSON.parse(sent)).toEqual({ ...body, model: 'gpt-b-2025' });
    expect(Object.keys(JSON.parse(sent) as object)).toEqual(['temperature', 'model', 'messages']);
    expect(setOf(common)).toEqual([
      ['content-type', 'application/json'],
      [':path', '/v1/chat/completions'],
      ['authorization', `Bearer ${keys.b}`],
    ]);
    expect(common.headerMutation?.removeHeaders).toEqual([
      'api-key',
      'x-api-key',
      'x-goog-api-key',
      ...internal,
      // The cluster header (this config routes) has done its work.
      'x-ai-eg-cluster',
    ]);
    expect(response.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': {
        backend_name: backends.b,
        // Bytes, not characters: the body has multi-byte UTF-8.
        content_length: String(Buffer.byteLength(sent)),
      },
    });
    expect(Buffer.byteLength(sent)).toBeGreaterThan(sent.length);
  });

  it('replaces the body to ask for streamed usage the client did not ask for', async () => {
    const { id } = await routed({ model: 'gpt-a', stream: true, messages: [] });
    const common = commonOf(await attempt(id, backends.a), 'requestHeaders');
    expect(common.status).toBe(CONTINUE_AND_REPLACE);
    expect(JSON.parse(bodyOf(common)!)).toEqual({
      model: 'gpt-a',
      stream: true,
      messages: [],
      stream_options: { include_usage: true },
    });
  });

  it('leaves client headers alone for a backend without credentials', async () => {
    const { id } = await routed({ model: 'gpt-a' });
    const response = await attempt(id, backends.open);
    const common = commonOf(response, 'requestHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(setOf(common)).toEqual([[':path', '/v1/chat/completions']]);
    expect(common.headerMutation?.removeHeaders).toEqual([...internal, 'x-ai-eg-cluster']);
  });

  it.each([
    ['an unknown backend', 'default/nope', 'backend default/nope is not configured in the gateway'],
    ['no backend attribute', undefined, 'backend (none) is not configured in the gateway'],
  ])('answers %s with a 500', async (_, backend, message) => {
    const { id } = await routed({ model: 'gpt-a' });
    const immediate = immediateOf(await attempt(id, backend));
    expect(immediate.status?.code).toBe(500);
    expect(immediate.details).toBe('aigw_upstream_error');
    expect(JSON.parse(immediate.body.toString('utf8'))).toEqual({
      error: { message, type: 'server_error', param: null, code: null },
    });
    expect(gateway.logs()).toContain('"msg":"unknown backend"');
  });

  it('answers in the Anthropic dialect for an Anthropic client', async () => {
    const { id } = await routed({ model: 'claude-3-haiku', max_tokens: 1 }, '/v1/messages');
    const immediate = immediateOf(await attempt(id, 'default/nope'));
    expect(immediate.status?.code).toBe(500);
    expect(JSON.parse(immediate.body.toString('utf8'))).toEqual({
      type: 'error',
      error: {
        type: 'api_error',
        message: 'backend default/nope is not configured in the gateway',
      },
    });
  });

  it.skipIf(untranslatedSchema === undefined)(
    'answers a backend schema without a translator for the API with a 400 naming the backend',
    async () => {
      const { id } = await routed({ model: 'gpt-a' });
      const immediate = immediateOf(await attempt(id, backends.untranslated));
      expect(immediate.status?.code).toBe(400);
      const body = JSON.parse(immediate.body.toString('utf8')) as {
        error: { message: string; type: string };
      };
      expect(body.error.type).toBe('invalid_request_error');
      expect(body.error.message).toMatch(
        /^\/v1\/chat\/completions is not supported for model "gpt-a": its backend ".+" has schema \w+, which does not serve this API$/,
      );
      expect(gateway.logs()).toContain('"msg":"translation failed"');
    },
  );

  it.each([
    ['an unknown request id', 'req-not-ours'],
    ['no request id', undefined],
  ])('lets a request with %s through untouched', async (_, id) => {
    const response = await attempt(id, backends.a);
    const common = commonOf(response, 'requestHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(common.headerMutation).toBeUndefined();
    expect(common.bodyMutation).toBeUndefined();
    expect(response.dynamicMetadata).toBeUndefined();
  });

  it('lets a request through untouched when the router has not seen its body yet', async () => {
    const router = gateway.open();
    const headers = await router.send(envoy.post('/v1/chat/completions'));
    const id = commonOf(headers, 'requestHeaders').headerMutation!.setHeaders[0]!.header!.rawValue;
    const response = await attempt(id.toString('utf8'), backends.a);
    expect(commonOf(response, 'requestHeaders').headerMutation).toBeUndefined();
    router.end();
    await router.status;
  });

  it('answers other messages on an upstream stream with CONTINUE', async () => {
    const { id } = await routed({ model: 'gpt-a' });
    const upstream = gateway.open();
    await upstream.send(envoy.upstreamHeaders({ [internalId]: id }, backends.a));
    const headers = await upstream.send(envoy.responseHeaders({ ':status': '200' }));
    expect(commonOf(headers, 'responseHeaders')).toEqual(
      extProc.CommonResponse.fromPartial({ status: CONTINUE }),
    );
    const body = await upstream.send(envoy.responseBody('{}', true));
    expect(commonOf(body, 'responseBody').bodyMutation).toBeUndefined();
    upstream.end();
    await upstream.status;
  });

  it('finds a retry by Envoy’s x-request-id when the previous attempt removed the internal id', async () => {
    // Envoy hands a retry the headers the previous attempt's upstream filter left: the internal
    // id header is gone, x-request-id is not.
    const envoyId = 'envoy-req-retry-1';
    const request = await routeRequest(
      gateway,
      { model: 'gpt-b', messages: [] },
      { headers: { 'x-request-id': envoyId } },
    );
    open.push(request);
    const retry = await attempt(undefined, backends.b, { 'x-request-id': envoyId });
    const common = commonOf(retry, 'requestHeaders');
    expect(common.status).toBe(CONTINUE_AND_REPLACE);
    expect(JSON.parse(bodyOf(common)!)).toEqual({ model: 'gpt-b-2025', messages: [] });
  });

  it('never guesses: two requests in flight with one x-request-id are not matched', async () => {
    const envoyId = 'envoy-req-shared';
    for (let i = 0; i < 2; i += 1) {
      const request = await routeRequest(
        gateway,
        { model: 'gpt-b', messages: [] },
        { headers: { 'x-request-id': envoyId } },
      );
      open.push(request);
    }
    const retry = await attempt(undefined, backends.b, { 'x-request-id': envoyId });
    const common = commonOf(retry, 'requestHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(common.headerMutation).toBeUndefined();
  });

  it('translates each retry afresh from the client body, on whichever backend', async () => {
    const { id } = await routed({ model: 'gpt-b', messages: [] });
    const first = commonOf(await attempt(id, backends.b), 'requestHeaders');
    expect(first.status).toBe(CONTINUE_AND_REPLACE);
    const second = await attempt(id, backends.a);
    expect(commonOf(second, 'requestHeaders').status).toBe(CONTINUE);
    expect(bodyOf(commonOf(second, 'requestHeaders'))).toBeUndefined();
    // The client's own body goes again: its length, not the first attempt's replaced one.
    const clientBody = JSON.stringify({ model: 'gpt-b', messages: [] });
    expect(second.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': {
        backend_name: backends.a,
        content_length: String(Buffer.byteLength(clientBody)),
      },
    });
    const third = commonOf(await attempt(id, backends.b), 'requestHeaders');
    expect(JSON.parse(bodyOf(third)!)).toEqual({ model: 'gpt-b-2025', messages: [] });
  });

  it('keeps the request registered when an upstream stream ends; the router stream owns it', async () => {
    const before = gateway.server.inFlight();
    const { router, id } = await routeRequest(gateway, { model: 'gpt-a' });
    expect(gateway.server.inFlight()).toBe(before + 1);
    await attempt(id, backends.a);
    expect(gateway.server.inFlight()).toBe(before + 1);
    router.end();
    await router.status;
    expect(gateway.server.inFlight()).toBe(before);
  });
});
