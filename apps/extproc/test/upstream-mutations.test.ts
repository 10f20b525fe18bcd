import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';
import { extProc } from '@aigw/proto';
import { routeNameAttribute } from '../src/processor/upstream-processor.js';
import {
  bodyOf,
  commonOf,
  envoy,
  startTestServer,
  type ProcessStream,
  type TestServer,
} from './support/ext-proc-harness.js';
import { routeRequest } from './support/gateway.js';

const { CONTINUE_AND_REPLACE } = extProc.CommonResponse_ResponseStatus;
const internalId = 'x-ai-eg-internal-req-id';
/** The gateway's own headers the upstream level removes (docs/extproc.md, Headers). */
const internal = [internalId, 'x-ai-eg-model'];
const key = 'sk-mutations-key-000000';

const backends = {
  /** Bearer key; sets and removes headers and body fields (tries to touch the credential too). */
  mutating: 'team/mutating/route/chat/rule/0/ref/0',
  /** No auth, no mutations: the fallback of `mutating`. */
  plain: 'team/plain/route/chat/rule/0/ref/1',
  /** No auth; removes the client's own authorization. */
  stripping: 'team/stripping/route/chat/rule/1/ref/0',
} as const;

function config(dir: string): FilterConfigInput {
  return {
    version: 'v1',
    backends: [
      {
        name: backends.mutating,
        schema: { name: 'OpenAI' },
        auth: { apiKey: { file: join(dir, 'key') } },
        modelNameOverride: 'gpt-override',
        headerMutation: {
          set: [
            { name: 'x-team', value: 'platform' },
            { name: 'authorization', value: 'Bearer from-mutation' },
          ],
          remove: ['x-debug', 'x-api-key'],
        },
        bodyMutation: {
          set: [
            { path: 'service_tier', value: '"flex"' },
            { path: 'temperature', value: '0.5' },
            { path: 'metadata', value: '{"a":[1,2]}' },
          ],
          remove: ['user'],
        },
      },
      { name: backends.plain, schema: { name: 'OpenAI' } },
      {
        name: backends.stripping,
        schema: { name: 'OpenAI' },
        headerMutation: { remove: ['authorization'] },
      },
    ],
    llmRequestCosts: [
      { metadataKey: 'charge', type: 'TotalToken' },
      { metadataKey: 'charge', type: 'InputToken', routeName: 'team/chat' },
      { metadataKey: 'charge', type: 'CEL', cel: 'output_tokens * 100u', routeName: 'team/other' },
      { metadataKey: 'plain_only', type: 'OutputToken', backend: 'team/plain' },
      {
        metadataKey: 'where',
        type: 'CEL',
        cel: 'route_name == "team/chat" && backend == "team/plain/route/chat/rule/0/ref/1" ? 1u : 2u',
      },
    ],
  };
}

function setOf(common: extProc.CommonResponse): Record<string, string> {
  return Object.fromEntries(
    (common.headerMutation?.setHeaders ?? []).map((o) => [
      o.header?.key ?? '',
      o.header?.rawValue.toString('utf8') ?? '',
    ]),
  );
}

describe('upstream level: header and body mutations, route-scoped costs', () => {
  let gateway: TestServer;
  const open: ProcessStream[] = [];

  beforeAll(async () => {
    gateway = await startTestServer({ config, files: { key } });
  });

  afterAll(async () => {
    for (const stream of open) stream.end();
    await gateway.stop();
  });

  async function routed(body: object): Promise<{ router: ProcessStream; id: string }> {
    const request = await routeRequest(gateway, body);
    open.push(request.router);
    return request;
  }

  async function attempt(
    id: string,
    backend: string,
    options: { headers?: Record<string, string>; route?: string } = {},
  ): Promise<extProc.ProcessingResponse> {
    const upstream = gateway.open();
    const response = await upstream.send(
      envoy.upstreamHeaders(
        {
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          [internalId]: id,
          ...options.headers,
        },
        backend,
        options.route === undefined ? {} : { [routeNameAttribute]: options.route },
      ),
    );
    upstream.end();
    await upstream.status;
    return response;
  }

  const clientBody = {
    model: 'gpt-a',
    user: 'alice',
    temperature: 1,
    messages: [{ role: 'user', content: 'hi' }],
  };

  it('sets and removes headers after translation, never the backend credential', async () => {
    const { id } = await routed(clientBody);
    const response = await attempt(id, backends.mutating, {
      headers: { 'x-debug': '1', authorization: 'Bearer client' },
    });
    const common = commonOf(response, 'requestHeaders');
    expect(setOf(common)).toEqual({
      'content-type': 'application/json',
      ':path': '/v1/chat/completions',
      'x-team': 'platform',
      authorization: `Bearer ${key}`,
    });
    // x-api-key is stripped as a client credential anyway; the mutation's own entry was ignored.
    expect(common.headerMutation?.removeHeaders).toEqual([
      'x-debug',
      'api-key',
      'x-api-key',
      'x-goog-api-key',
      ...internal,
    ]);
  });

  it('sets and removes top-level body fields (JSON values) and reports the new length', async () => {
    const { id } = await routed(clientBody);
    const common = commonOf(await attempt(id, backends.mutating), 'requestHeaders');
    expect(common.status).toBe(CONTINUE_AND_REPLACE);
    const sent = JSON.parse(bodyOf(common) ?? '') as Record<string, unknown>;
    expect(sent).toEqual({
      model: 'gpt-override',
      temperature: 0.5,
      messages: [{ role: 'user', content: 'hi' }],
      service_tier: 'flex',
      metadata: { a: [1, 2] },
    });
  });

  it('mutates the body even when translation left it unchanged', async () => {
    const { id } = await routed({ model: 'gpt-a', messages: [] });
    const response = await attempt(id, backends.mutating);
    const body = bodyOf(commonOf(response, 'requestHeaders')) ?? '';
    expect(JSON.parse(body)).toMatchObject({ service_tier: 'flex', temperature: 0.5 });
    expect(response.dynamicMetadata).toEqual({
      'io.envoy.ai_gateway': {
        backend_name: backends.mutating,
        content_length: String(Buffer.byteLength(body)),
      },
    });
  });

  it('applies a retry only its own backend mutations, from the client body', async () => {
    const { id } = await routed(clientBody);
    await attempt(id, backends.mutating, { headers: { 'x-debug': '1' } });
    // Envoy may hand the retry the headers as the first attempt left them: undo that.
    const retry = commonOf(
      await attempt(id, backends.plain, {
        headers: { 'x-team': 'platform', authorization: `Bearer ${key}` },
      }),
      'requestHeaders',
    );
    expect(bodyOf(retry)).toBeUndefined();
    // x-debug, which the first backend removed, comes back; what it set goes.
    expect(setOf(retry)).toEqual({ ':path': '/v1/chat/completions', 'x-debug': '1' });
    expect(retry.headerMutation?.removeHeaders).toEqual([...internal, 'x-team', 'authorization']);
  });

  it('restores on a retry a client header an earlier backend removed', async () => {
    const headers = { authorization: 'Bearer client', 'x-debug': '1' };
    const { id } = await routed(clientBody);
    await attempt(id, backends.mutating, { headers });
    const retry = commonOf(
      await attempt(id, backends.plain, { headers: { authorization: `Bearer ${key}` } }),
      'requestHeaders',
    );
    expect(setOf(retry)).toMatchObject({ authorization: 'Bearer client', 'x-debug': '1' });
  });

  it('lets a backend without auth remove the client credential', async () => {
    const { id } = await routed({ model: 'gpt-a', messages: [] });
    const common = commonOf(
      await attempt(id, backends.stripping, { headers: { authorization: 'Bearer client' } }),
      'requestHeaders',
    );
    expect(common.headerMutation?.removeHeaders).toEqual(['authorization', ...internal]);
  });

  describe('final metadata', () => {
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };

    async function finish(route: string | undefined, backend: string): Promise<unknown> {
      const { router, id } = await routed({ model: 'gpt-a', messages: [] });
      await attempt(id, backend, route === undefined ? {} : { route });
      await router.send(
        envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
      );
      const body = await router.send(envoy.responseBody({ model: 'gpt-x-2025', usage }, true));
      return body.dynamicMetadata?.['io.envoy.ai_gateway'];
    }

    it('names the route, the AIServiceBackend, the model sent and the response model', async () => {
      expect(await finish('team/chat', backends.mutating)).toMatchObject({
        route_name: 'team/chat',
        backend_name: backends.mutating,
        ai_service_backend_name: 'team/mutating',
        model_name_override: 'gpt-override',
        request_model: 'gpt-a',
        response_model: 'gpt-x-2025',
      });
      expect(await finish('team/chat', backends.plain)).toMatchObject({
        model_name_override: 'gpt-a',
      });
    });

    it.each([
      ['team/chat', 11],
      ['team/other', 700],
      ['team/unknown', 18],
    ])('charges route %s %d: its own cost wins over the global one', async (route, charge) => {
      expect(await finish(route, backends.plain)).toMatchObject({ charge });
    });

    it('falls back to the global cost and writes no route_name without the route attribute', async () => {
      const metadata = await finish(undefined, backends.plain);
      expect(metadata).toMatchObject({ charge: 18, where: 2 });
      expect(metadata).not.toHaveProperty('route_name');
    });

    it('scopes a cost to an AIServiceBackend, and gives CEL the route and backend names', async () => {
      expect(await finish('team/chat', backends.plain)).toMatchObject({ plain_only: 7, where: 1 });
      const other = await finish('team/chat', backends.mutating);
      expect(other).toMatchObject({ where: 2 });
      expect(other).not.toHaveProperty('plain_only');
    });
  });
});
