import { status as grpcStatus } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extProc } from '@aigw/proto';
import { waitFor } from '@aigw/testkit';
import {
  commonOf,
  envoy,
  immediateOf,
  requestIdOf,
  type TestServer,
} from './support/ext-proc-harness.js';
import { backends, routeRequest, startGateway, upstreamAttempt } from './support/gateway.js';

const { STREAMED } = extProc.ProcessingMode_BodySendMode;

async function noneInFlight(gateway: TestServer): Promise<void> {
  await waitFor(() => gateway.server.inFlight() === 0, {
    timeoutMs: 5_000,
    description: 'no in-flight request state',
  });
}

describe('stream lifecycle', () => {
  let gateway: TestServer;
  let failNext = false;

  beforeAll(async () => {
    gateway = await startGateway({
      // The config getter is read once per request: a seam to make one message throw.
      wrapRuntime: (current) => () => {
        if (failNext) {
          failNext = false;
          throw new Error('config getter exploded');
        }
        return current();
      },
    });
  });

  afterAll(async () => {
    await gateway.stop();
  });

  it('forgets a request when Envoy half-closes its router stream, and ends the stream cleanly', async () => {
    const { router, id } = await routeRequest(gateway, { model: 'gpt-a', messages: [] });
    await upstreamAttempt(gateway, id, backends.a);
    await router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    await router.send(envoy.responseBody({ usage: { prompt_tokens: 1 } }, true));
    expect(gateway.server.inFlight()).toBe(1);
    router.end();
    const status = await router.status;
    expect(status.code).toBe(grpcStatus.OK);
    expect(gateway.server.inFlight()).toBe(0);
  });

  it.each([
    ['after the request headers', 0],
    ['after the request body', 1],
    ['in the middle of a streamed response', 2],
  ])('forgets a request whose router stream is cancelled %s', async (_, stage) => {
    const router = gateway.open();
    const id = requestIdOf(await router.send(envoy.post('/v1/chat/completions')));
    if (stage >= 1) {
      await router.send(envoy.requestBody({ model: 'gpt-a', stream: true, messages: [] }));
      await upstreamAttempt(gateway, id, backends.a);
    }
    if (stage >= 2) {
      const headers = await router.send(
        envoy.responseHeaders({ ':status': '200', 'content-type': 'text/event-stream' }),
      );
      expect(headers.modeOverride?.responseBodyMode).toBe(STREAMED);
      await router.send(envoy.responseBody('data: {"choices":[]}\n\n', false));
    }
    expect(gateway.server.inFlight()).toBe(1);
    router.cancel();
    expect((await router.status).code).toBe(grpcStatus.CANCELLED);
    await noneInFlight(gateway);
    // An upstream attempt that arrives late finds nothing and lets the request through.
    const late = gateway.open();
    const response = await late.send(
      envoy.upstreamHeaders({ 'x-ai-eg-internal-req-id': id }, backends.a),
    );
    expect(commonOf(response, 'requestHeaders').headerMutation).toBeUndefined();
    late.end();
    await late.status;
  });

  it('forgets a request that was answered with an immediate response once its stream ends', async () => {
    const router = gateway.open();
    await router.send(envoy.post('/v1/chat/completions'));
    expect(immediateOf(await router.send(envoy.requestBody('nope'))).status?.code).toBe(400);
    expect(gateway.server.inFlight()).toBe(1);
    router.end();
    await router.status;
    expect(gateway.server.inFlight()).toBe(0);
  });

  it('keeps concurrent requests apart', async () => {
    const models = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'gpt-a' : 'gpt-b'));
    const requests = await Promise.all(
      models.map((model, i) => routeRequest(gateway, { model, n: i, messages: [] })),
    );
    expect(gateway.server.inFlight()).toBe(models.length);
    await Promise.all(
      requests.map(({ id }, i) =>
        upstreamAttempt(gateway, id, models[i] === 'gpt-a' ? backends.a : backends.b),
      ),
    );
    const metadata = await Promise.all(
      requests.map(async ({ router }, i) => {
        await router.send(
          envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
        );
        const usage = { prompt_tokens: i, completion_tokens: 1, total_tokens: i + 1 };
        const body = await router.send(envoy.responseBody({ usage }, true));
        return body.dynamicMetadata?.['io.envoy.ai_gateway'] as Record<string, unknown>;
      }),
    );
    metadata.forEach((values, i) => {
      expect(values).toMatchObject({
        llm_input_token: i,
        llm_total_token: i + 1,
        request_model: models[i],
        backend_name: models[i] === 'gpt-a' ? backends.a : backends.b,
      });
    });
    for (const { router } of requests) router.end();
    await Promise.all(requests.map(({ router }) => router.status));
    expect(gateway.server.inFlight()).toBe(0);
  });

  // Regression test (found by review before release).
  it('ends the stream whose message throws with an INTERNAL status', async () => {
    const victim = gateway.open();
    failNext = true;
    victim.send(envoy.post('/v1/chat/completions')).catch(() => undefined);
    try {
      const status = await Promise.race([
        victim.status,
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            reject(new Error('the stream got no gRPC status within 2 s'));
          }, 2_000),
        ),
      ]);
      expect(status.code).toBe(grpcStatus.INTERNAL);
    } finally {
      victim.cancel();
    }
  });

  it('keeps serving the other streams when a message throws, and logs the failure', async () => {
    const bystander = await routeRequest(gateway, { model: 'gpt-a', messages: [] });
    const victim = gateway.open();
    failNext = true;
    victim.send(envoy.post('/v1/chat/completions')).catch(() => undefined);
    await waitFor(() => gateway.logs().includes('"msg":"ext_proc message failed"'), {
      timeoutMs: 5_000,
      description: 'the failure to be logged',
    });
    expect(gateway.logs()).toContain('config getter exploded');

    // The stream that was open all along carries on.
    await upstreamAttempt(gateway, bystander.id, backends.a);
    const headers = await bystander.router.send(
      envoy.responseHeaders({ ':status': '200', 'content-type': 'application/json' }),
    );
    expect(headers.response?.$case).toBe('responseHeaders');
    bystander.router.end();
    await bystander.router.status;

    // And new streams are served.
    const next = await routeRequest(gateway, { model: 'gpt-b', messages: [] });
    next.router.end();
    await next.router.status;
    victim.cancel();
    await noneInFlight(gateway);
  });

  it('never writes a credential to the log', () => {
    const logs = gateway.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of ['sk-int-secret', 'client-own-key']) {
      expect(logs).not.toContain(secret);
    }
  });
});
