import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTempDir, tempDir, waitFor } from '@aigw/testkit';
import { envoyConfig, extProc } from '@aigw/proto';
import { main, type ExtProcServer } from '../src/main.js';
import {
  bodyOf,
  commonOf,
  envoy,
  immediateOf,
  ProcessStream,
  requestIdOf,
  setHeadersOf,
  startTestServer,
  type TestServer,
} from './support/ext-proc-harness.js';
import { files, gatewayConfig, startGateway } from './support/gateway.js';

const { CONTINUE } = extProc.CommonResponse_ResponseStatus;
const { OVERWRITE_IF_EXISTS_OR_ADD } = envoyConfig.HeaderValueOption_HeaderAppendAction;

const openAIError = (message: string, type: string) => ({
  error: { message, type, param: null, code: null },
});
const anthropicError = (message: string, type: string) => ({
  type: 'error',
  error: { type, message },
});

function jsonOf(body: Buffer): unknown {
  return JSON.parse(body.toString('utf8'));
}

describe('router level: request headers', () => {
  let gateway: TestServer;

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway.stop();
  });

  it.each([
    ['/v1/nope', openAIError('unsupported path: /v1/nope', 'not_found_error')],
    ['/v1/nope?api-version=1', openAIError('unsupported path: /v1/nope', 'not_found_error')],
    ['/', openAIError('unsupported path: /', 'not_found_error')],
    [
      '/v1/chat/completions/x',
      openAIError('unsupported path: /v1/chat/completions/x', 'not_found_error'),
    ],
    [
      '/anthropic/v1/messages/batches',
      anthropicError('unsupported path: /anthropic/v1/messages/batches', 'not_found_error'),
    ],
    [
      '/v1/messages/batches',
      anthropicError('unsupported path: /v1/messages/batches', 'not_found_error'),
    ],
  ])('answers the unknown path %s with a 404 in its dialect', async (path, expected) => {
    const stream = gateway.open();
    const immediate = immediateOf(await stream.send(envoy.post(path)));
    expect(immediate.status?.code).toBe(404);
    expect(jsonOf(immediate.body)).toEqual(expected);
    expect(setHeadersOf(immediate.headers)).toEqual({ 'content-type': 'application/json' });
    expect(immediate.details).toBe('aigw_unsupported_path');
    expect(gateway.server.inFlight()).toBe(0);
    stream.end();
    await stream.status;
  });

  it.each([
    ['/v1/chat/completions', openAIError('request body is required', 'invalid_request_error')],
    ['/v1/embeddings', openAIError('request body is required', 'invalid_request_error')],
    ['/v1/messages', anthropicError('request body is required', 'invalid_request_error')],
    ['/anthropic/v1/messages', anthropicError('request body is required', 'invalid_request_error')],
  ])('answers %s without a body (headers end the stream) with a 400', async (path, expected) => {
    const stream = gateway.open();
    const immediate = immediateOf(
      await stream.send(envoy.requestHeaders({ ':method': 'POST', ':path': path }, true)),
    );
    expect(immediate.status?.code).toBe(400);
    expect(jsonOf(immediate.body)).toEqual(expected);
    expect(immediate.details).toBe('aigw_bad_request');
    stream.end();
    await stream.status;
  });

  it('answers GET /v1/models with the configured models in OpenAI list format', async () => {
    const stream = gateway.open();
    const immediate = immediateOf(
      await stream.send(envoy.requestHeaders({ ':method': 'GET', ':path': '/v1/models' }, true)),
    );
    expect(immediate.status?.code).toBe(200);
    expect(setHeadersOf(immediate.headers)).toEqual({ 'content-type': 'application/json' });
    expect(immediate.details).toBe('aigw_models');
    const list = jsonOf(immediate.body) as { object: string; data: Record<string, unknown>[] };
    expect(list.object).toBe('list');
    expect(list.data).toHaveLength(2);
    expect(list.data[0]).toEqual({
      id: 'gpt-a',
      object: 'model',
      created: 1738324800,
      owned_by: 'Envoy AI Gateway',
    });
    expect(list.data[1]).toMatchObject({ id: 'gpt-b', object: 'model', owned_by: 'openai' });
    expect(typeof list.data[1]?.created).toBe('number');
    expect(gateway.server.inFlight()).toBe(0);
    stream.end();
    await stream.status;
  });

  it('hands out a request id built from x-request-id and registers the request', async () => {
    const stream = gateway.open();
    const response = await stream.send(
      envoy.post('/v1/chat/completions', { 'x-request-id': 'r-1' }),
    );
    const common = commonOf(response, 'requestHeaders');
    expect(common.status).toBe(CONTINUE);
    expect(common.clearRouteCache).toBe(false);
    expect(common.bodyMutation).toBeUndefined();
    expect(common.headerMutation?.removeHeaders).toEqual([]);
    expect(common.headerMutation?.setHeaders).toHaveLength(1);
    expect(common.headerMutation?.setHeaders[0]?.appendAction).toBe(OVERWRITE_IF_EXISTS_OR_ADD);
    expect(requestIdOf(response)).toMatch(
      /^r-1-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(response.dynamicMetadata).toBeUndefined();
    expect(response.modeOverride).toBeUndefined();
    expect(gateway.server.inFlight()).toBe(1);
    stream.end();
    await stream.status;
    expect(gateway.server.inFlight()).toBe(0);
  });

  it('gives every request its own id, also without x-request-id', async () => {
    const first = gateway.open();
    const second = gateway.open();
    const ids = [
      requestIdOf(await first.send(envoy.post('/v1/chat/completions'))),
      requestIdOf(await second.send(envoy.post('/v1/embeddings'))),
    ];
    expect(ids[0]).toMatch(/^req-/);
    expect(ids[1]).toMatch(/^req-/);
    expect(ids[0]).not.toBe(ids[1]);
    expect(gateway.server.inFlight()).toBe(2);
    first.end();
    second.end();
    await Promise.all([first.status, second.status]);
  });

  // Regression test (found by review before release).
  it.each(['requestTrailers', 'responseTrailers'] as const)(
    'answers %s with an empty trailers response',
    async (phase) => {
      const stream = gateway.open();
      await stream.send(envoy.post('/v1/chat/completions'));
      const response = await stream.send(
        extProc.ProcessingRequest.fromPartial({
          request: { $case: phase, value: { trailers: { headers: [] } } },
        }),
      );
      expect(response.response?.$case).toBe(phase);
      stream.end();
      await stream.status;
    },
  );

  it('answers trailers and releases the request when the stream ends', async () => {
    const stream = gateway.open();
    await stream.send(envoy.post('/v1/chat/completions'));
    const answer = await stream.send(
      extProc.ProcessingRequest.fromPartial({
        request: { $case: 'requestTrailers', value: { trailers: { headers: [] } } },
      }),
    );
    expect(answer.response?.$case).toBe('requestTrailers');
    stream.end();
    await stream.status;
    await waitFor(() => gateway.server.inFlight() === 0, { timeoutMs: 5_000 });
  });
});

describe('router level: request body', () => {
  let gateway: TestServer;
  let unrouted: TestServer;

  beforeAll(async () => {
    gateway = await startGateway();
    // Kubernetes shape: no routes (HTTPRoutes match the model header), a custom model header.
    unrouted = await startTestServer({
      config: () => ({ version: 'v1', modelNameHeaderKey: 'x-model' }),
    });
  });

  afterAll(async () => {
    await Promise.all([gateway.stop(), unrouted.stop()]);
  });

  async function sendBody(
    server: TestServer,
    body: string | object,
    path = '/v1/chat/completions',
  ): Promise<extProc.ProcessingResponse> {
    const stream = server.open();
    await stream.send(envoy.post(path));
    const response = await stream.send(envoy.requestBody(body));
    stream.end();
    await stream.status;
    return response;
  }

  it.each([
    ['gpt-a', '/v1/chat/completions', 'openai-a'],
    ['gpt-b', '/v1/completions?x=1', 'openai-b'],
    ['gpt-b-mini', '/v1/embeddings', 'openai-b'],
    ['claude-3-haiku', '/v1/messages', 'anthropic'],
    ['claude-3-haiku', '/anthropic/v1/messages', 'anthropic'],
  ])(
    'sets the model and cluster headers and the original path metadata for %s on %s and clears the route cache',
    async (model, path, cluster) => {
      const response = await sendBody(gateway, { model, messages: [] }, path);
      const common = commonOf(response, 'requestBody');
      expect(common.status).toBe(CONTINUE);
      expect(common.clearRouteCache).toBe(true);
      expect(setHeadersOf(common.headerMutation)).toEqual({
        'x-ai-eg-model': model,
        'x-ai-eg-cluster': cluster,
      });
      expect(common.headerMutation?.removeHeaders).toEqual([]);
      expect(
        common.headerMutation?.setHeaders.every(
          (option) => option.appendAction === OVERWRITE_IF_EXISTS_OR_ADD,
        ),
      ).toBe(true);
      expect(bodyOf(common)).toBeUndefined();
      // The client's path for Envoy's local-reply mapper and the model for the rate limits and
      // access logs, as metadata: the upstream level removes the model header.
      expect(response.dynamicMetadata).toEqual({
        'io.envoy.ai_gateway': { original_path: path, request_model: model },
      });
    },
  );

  it('sets the configured model header and no cluster header without routes', async () => {
    const response = await sendBody(unrouted, { model: 'any-model-at-all' });
    const common = commonOf(response, 'requestBody');
    expect(common.clearRouteCache).toBe(true);
    expect(setHeadersOf(common.headerMutation)).toEqual({ 'x-model': 'any-model-at-all' });
  });

  it.each([
    ['/v1/chat/completions', '{"model": "gpt-a",', /^request body is not valid JSON/],
    ['/v1/chat/completions', '["gpt-a"]', /^request body must be a JSON object$/],
    ['/v1/chat/completions', '', /^request body is not valid JSON/],
    ['/v1/embeddings', '{"input":"x"}', /^missing required field "model"$/],
    ['/v1/completions', '{"model":""}', /^field "model" must not be empty$/],
    [
      '/v1/chat/completions',
      '{"model":"gpt-a","stream":"yes"}',
      /^field "stream" must be a boolean$/,
    ],
  ])('answers a bad body on %s (%s) with an OpenAI 400', async (path, body, message) => {
    const immediate = immediateOf(await sendBody(gateway, body, path));
    expect(immediate.status?.code).toBe(400);
    expect(immediate.details).toBe('aigw_bad_request');
    expect(setHeadersOf(immediate.headers)).toEqual({ 'content-type': 'application/json' });
    const json = jsonOf(immediate.body) as ReturnType<typeof openAIError>;
    expect(json).toEqual(openAIError(json.error.message, 'invalid_request_error'));
    expect(json.error.message).toMatch(message);
  });

  it.each(['/v1/messages', '/anthropic/v1/messages'])(
    'answers a bad body on %s with an Anthropic 400',
    async (path) => {
      const immediate = immediateOf(await sendBody(gateway, 'not json', path));
      expect(immediate.status?.code).toBe(400);
      const json = jsonOf(immediate.body) as ReturnType<typeof anthropicError>;
      expect(json).toEqual(anthropicError(json.error.message, 'invalid_request_error'));
      expect(json.error.message).toMatch(/^request body is not valid JSON/);
    },
  );

  it.each([
    [
      '/v1/chat/completions',
      openAIError('model "gpt-unknown" is not configured in the gateway', 'not_found_error'),
    ],
    [
      '/v1/messages',
      anthropicError('model "gpt-unknown" is not configured in the gateway', 'not_found_error'),
    ],
  ])(
    'answers an unknown model on %s with a 404 when routes are configured',
    async (path, expected) => {
      const immediate = immediateOf(await sendBody(gateway, { model: 'gpt-unknown' }, path));
      expect(immediate.status?.code).toBe(404);
      expect(immediate.details).toBe('aigw_unknown_model');
      expect(jsonOf(immediate.body)).toEqual(expected);
    },
  );

  it('lets any model through without routes (Envoy decides)', async () => {
    const common = commonOf(await sendBody(unrouted, { model: 'gpt-unknown' }), 'requestBody');
    expect(setHeadersOf(common.headerMutation)['x-model']).toBe('gpt-unknown');
  });

  it('continues untouched when a body arrives without request headers', async () => {
    const stream = gateway.open();
    const response = await stream.send(envoy.requestBody({ model: 'gpt-a' }));
    const common = commonOf(response, 'requestBody');
    expect(common.headerMutation).toBeUndefined();
    expect(common.clearRouteCache).toBe(false);
    stream.end();
    await stream.status;
  });

  it('uses the config in force when the request started for the whole request', async () => {
    const server = await startTestServer({ config: () => ({ version: 'v1' }) });
    try {
      const stream = server.open();
      await stream.send(envoy.post('/v1/chat/completions'));
      // The config changes between the headers and the body of one request.
      writeFileSync(
        join(server.dir, 'filter-config.json'),
        JSON.stringify({ version: 'v1', modelNameHeaderKey: 'x-newer-model-header' }),
      );
      await server.watcher.check();
      const during = commonOf(await stream.send(envoy.requestBody({ model: 'm' })), 'requestBody');
      expect(setHeadersOf(during.headerMutation)).toHaveProperty('x-ai-eg-model', 'm');
      const after = commonOf(await sendBody(server, { model: 'm' }), 'requestBody');
      expect(setHeadersOf(after.headerMutation)).toHaveProperty('x-newer-model-header', 'm');
      stream.end();
      await stream.status;
    } finally {
      await server.stop();
    }
  });
});

describe('router level under --root-prefix and --endpoint-prefixes', () => {
  let dir: string;
  let server: ExtProcServer | undefined;
  let client: extProc.ExternalProcessorClient | undefined;

  beforeAll(async () => {
    dir = tempDir('prefixes');
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const configPath = join(dir, 'filter-config.json');
    writeFileSync(`${configPath}.tmp`, JSON.stringify(gatewayConfig(dir)));
    renameSync(`${configPath}.tmp`, configPath);
    server = await main({
      argv: [
        ...['--config', configPath, '--address', `unix:${join(dir, 'extproc.sock')}`],
        ...['--log-level', 'silent', '--root-prefix', '/ai/'],
      ],
      env: { AIGW_EXTPROC_ENDPOINT_PREFIXES: 'anthropic:/claude' },
    });
  });

  afterAll(async () => {
    client?.close();
    await server?.close();
    await removeTempDir(dir);
  });

  function open(): ProcessStream {
    if (!server) throw new Error('the extproc did not start');
    client ??= new extProc.ExternalProcessorClient(
      server.bound.address,
      credentials.createInsecure(),
    );
    return new ProcessStream(client.process());
  }

  /** Sends one router-level request (headers, then a body when `body` is given). */
  async function send(path: string, body?: object): Promise<extProc.ProcessingResponse> {
    const stream = open();
    try {
      const headers = await stream.send(envoy.post(path));
      return body === undefined ? headers : await stream.send(envoy.requestBody(body));
    } finally {
      stream.end();
      await stream.status;
    }
  }

  it.each([
    ['/ai/v1/chat/completions', 'gpt-a'],
    ['/ai/v1/embeddings?x=1', 'gpt-a'],
    ['/ai/claude/v1/messages', 'claude-3-haiku'],
    ['/ai/v1/messages', 'claude-3-haiku'],
  ])('routes %s joined from the prefixes', async (path, model) => {
    const common = commonOf(await send(path, { model, max_tokens: 1 }), 'requestBody');
    expect(common.clearRouteCache).toBe(true);
    expect(setHeadersOf(common.headerMutation)).toMatchObject({ 'x-ai-eg-model': model });
  });

  it.each([
    [
      '/v1/chat/completions',
      openAIError('unsupported path: /v1/chat/completions', 'not_found_error'),
    ],
    ['/v1/messages', anthropicError('unsupported path: /v1/messages', 'not_found_error')],
    [
      '/ai/anthropic/v1/messages',
      anthropicError('unsupported path: /ai/anthropic/v1/messages', 'not_found_error'),
    ],
    [
      '/ai/claude/v1/complete',
      anthropicError('unsupported path: /ai/claude/v1/complete', 'not_found_error'),
    ],
  ])('answers %s outside the prefixes with a 404 in its dialect', async (path, expected) => {
    const immediate = immediateOf(await send(path));
    expect(immediate.status?.code).toBe(404);
    expect(immediate.details).toBe('aigw_unsupported_path');
    expect(jsonOf(immediate.body)).toEqual(expected);
  });

  it('lists the models at /ai/v1/models only', async () => {
    const stream = open();
    const models = immediateOf(
      await stream.send(envoy.requestHeaders({ ':method': 'GET', ':path': '/ai/v1/models' }, true)),
    );
    expect(models.details).toBe('aigw_models');
    expect(jsonOf(models.body)).toMatchObject({ object: 'list', data: [{ id: 'gpt-a' }, {}] });
    stream.end();
    await stream.status;
    const unprefixed = open();
    const notFound = immediateOf(
      await unprefixed.send(
        envoy.requestHeaders({ ':method': 'GET', ':path': '/v1/models' }, true),
      ),
    );
    expect(notFound.status?.code).toBe(404);
    expect(notFound.details).toBe('aigw_unsupported_path');
    unprefixed.end();
    await unprefixed.status;
  });
});
