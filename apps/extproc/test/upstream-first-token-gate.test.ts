import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extProc } from '@aigw/proto';
import {
  commonOf,
  envoy,
  setHeadersOf,
  type ProcessStream,
  type TestServer,
} from './support/ext-proc-harness.js';
import { backends, routeRequest, startGateway, type RoutedRequest } from './support/gateway.js';

const { STREAMED, NONE, FULL_DUPLEX_STREAMED } = extProc.ProcessingMode_BodySendMode;
const { SEND, SKIP } = extProc.ProcessingMode_HeaderSendMode;

const roleChunk = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })}\n\n`;
const textChunk = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hi' } }] })}\n\n`;
const errorChunk = `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } })}\n\n`;

/** The upstream filter's first message, as Envoy sends it on a cluster with a fallback tier. */
function gatedAttempt(id: string, responseBodyMode = STREAMED): extProc.ProcessingRequest {
  const request = envoy.upstreamHeaders(
    { ':path': '/v1/chat/completions', 'x-ai-eg-internal-req-id': id },
    backends.a,
  );
  request.protocolConfig = extProc.ProtocolConfiguration.fromPartial({ responseBodyMode });
  return request;
}

function streamedBodyOf(response: extProc.ProcessingResponse): { body: string; end: boolean } {
  const mutation = commonOf(response, 'responseBody').bodyMutation?.mutation;
  if (mutation?.$case !== 'streamedResponse') throw new Error('expected a streamed body response');
  return { body: mutation.value.body.toString('utf8'), end: mutation.value.endOfStream };
}

describe('upstream level: first-token gate', () => {
  let gateway: TestServer;
  const open: (RoutedRequest | ProcessStream)[] = [];

  beforeAll(async () => {
    gateway = await startGateway();
  });

  afterAll(async () => {
    for (const item of open) ('router' in item ? item.router : item).end();
    await gateway.stop();
  });

  async function attempt(
    body: object,
    responseBodyMode = STREAMED,
  ): Promise<{ upstream: ProcessStream; response: extProc.ProcessingResponse }> {
    const routed = await routeRequest(gateway, body);
    open.push(routed);
    const upstream = gateway.open();
    open.push(upstream);
    const response = await upstream.send(gatedAttempt(routed.id, responseBodyMode));
    return { upstream, response };
  }

  it('a streamed request on a gate filter asks for the response in FULL_DUPLEX_STREAMED', async () => {
    const { response } = await attempt({ model: 'gpt-a', stream: true, messages: [] });
    expect(response.modeOverride).toMatchObject({
      requestBodyMode: NONE,
      responseHeaderMode: SEND,
      responseBodyMode: FULL_DUPLEX_STREAMED,
      responseTrailerMode: SEND,
    });
  });

  it('a request that is not streamed asks for nothing after its request headers', async () => {
    const { response } = await attempt({ model: 'gpt-a', messages: [] });
    expect(response.modeOverride).toMatchObject({
      responseHeaderMode: SKIP,
      responseBodyMode: NONE,
      responseTrailerMode: SKIP,
    });
  });

  it('a filter without the mark (no fallback tier) gets no override: one message, as before', async () => {
    const { response } = await attempt({ model: 'gpt-a', stream: true, messages: [] }, NONE);
    expect(response.modeOverride).toBeUndefined();
  });

  it('holds the response headers until the first content, then lets everything through in order', async () => {
    const { upstream } = await attempt({ model: 'gpt-a', stream: true, messages: [] });
    // Responses come in order: each pending send() takes the next one.
    const headers = upstream.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    const first = upstream.send(envoy.responseBody(roleChunk, false));
    const second = upstream.send(envoy.responseBody(textChunk, false));
    expect(commonOf(await headers, 'responseHeaders').headerMutation).toBeUndefined();
    expect(streamedBodyOf(await first)).toEqual({ body: roleChunk, end: false });
    expect(streamedBodyOf(await second)).toEqual({ body: textChunk, end: false });
    // After the first content, each chunk is answered at once.
    const last = await upstream.send(envoy.responseBody('data: [DONE]\n\n', true));
    expect(streamedBodyOf(last)).toEqual({ body: 'data: [DONE]\n\n', end: true });
  });

  it('an error event first: the headers become a 503 in the client dialect, marked as a local reply', async () => {
    const { upstream } = await attempt({ model: 'gpt-a', stream: true, messages: [] });
    const headers = upstream.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    const body = upstream.send(envoy.responseBody(errorChunk, true));
    const mutation = commonOf(await headers, 'responseHeaders').headerMutation;
    expect(setHeadersOf(mutation)).toMatchObject({
      ':status': '503',
      'content-type': 'application/json',
      'x-aigw-local-reply': 'true',
    });
    expect(mutation?.removeHeaders).toContain('content-length');
    const { body: text, end } = streamedBodyOf(await body);
    expect(end).toBe(true);
    expect(JSON.parse(text)).toMatchObject({
      error: { message: "the provider's stream began with an error event" },
    });
  });

  it('a stream that ends before its first content is failed the same way', async () => {
    const { upstream } = await attempt({ model: 'gpt-a', stream: true, messages: [] });
    const headers = upstream.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
    );
    const body = upstream.send(envoy.responseBody(roleChunk, true));
    expect(setHeadersOf(commonOf(await headers, 'responseHeaders').headerMutation)).toMatchObject({
      ':status': '503',
    });
    expect(streamedBodyOf(await body).body).toContain('ended before its first token');
  });

  it('a non-2xx answer is not held: the provider error goes on to the router level', async () => {
    const { upstream } = await attempt({ model: 'gpt-a', stream: true, messages: [] });
    const headers = await upstream.send(
      envoy.responseHeaders({ ':status': '429', 'content-type': 'application/json' }),
    );
    expect(commonOf(headers, 'responseHeaders').headerMutation).toBeUndefined();
    const body = await upstream.send(envoy.responseBody('{"error":{}}', true));
    expect(streamedBodyOf(body)).toEqual({ body: '{"error":{}}', end: true });
  });
});
