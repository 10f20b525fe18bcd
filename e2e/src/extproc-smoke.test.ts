import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  httpListener,
  jsonResponder,
  staticClusterFor,
  useHarness,
  type EnvoyProcess,
  type FakeUpstream,
} from '@aigw/testkit';
import { startTestExtProc } from './support/extproc-harness.js';

/**
 * The whole chain with real processes: client → Envoy (HCM + ext_proc filter) → our ext_proc
 * server over a Unix socket → Envoy router → fake upstream. The ext_proc server runs in this test
 * process so the test can stop it and watch Envoy react.
 */
function bootstrap(options: { socketPath: string; upstream: FakeUpstream }): object {
  const extProc = {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
      grpc_service: { envoy_grpc: { cluster_name: 'extproc' }, timeout: '5s' },
      failure_mode_allow: false,
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SEND',
        request_body_mode: 'BUFFERED',
        response_body_mode: 'NONE',
      },
    },
  };
  return {
    static_resources: {
      listeners: [
        httpListener({
          routes: [{ match: { prefix: '/' }, route: { cluster: 'upstream' } }],
          httpFilters: [extProc],
        }),
      ],
      clusters: [
        staticClusterFor('extproc', { socketPath: options.socketPath }, { http2: true }),
        staticClusterFor('upstream', { host: options.upstream.host, port: options.upstream.port }),
      ],
    },
  };
}

describe('client → Envoy → ext_proc (Unix socket) → upstream', () => {
  const harness = useHarness();
  let envoy: EnvoyProcess;
  let upstream: FakeUpstream;
  let url: string;
  let stopExtProc: () => Promise<void>;

  beforeAll(async () => {
    const extproc = await startTestExtProc({
      dir: harness.tempDir('extproc'),
      config: { version: 'v1' },
    });
    const socketPath = extproc.socket;
    stopExtProc = () => extproc.stop();
    upstream = await harness.upstream(
      jsonResponder(200, { id: 'chatcmpl-1', object: 'chat.completion' }),
    );
    envoy = await harness.envoy({ bootstrap: bootstrap({ socketPath, upstream }) });
    url = await envoy.listenerUrl('ingress');
  });

  afterAll(async () => {
    await stopExtProc();
  });

  it('sets the model header on the way to the upstream and returns its response', async () => {
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: 'chatcmpl-1', object: 'chat.completion' });

    expect(upstream.requests).toHaveLength(1);
    const seen = upstream.requests[0]!;
    expect(seen.url).toBe('/v1/chat/completions');
    // Router level only here: the model header is set for Envoy's route. The upstream-level
    // filter, absent here, removes it before a provider sees it (extproc-gateway.test.ts).
    expect(seen.headers['x-ai-eg-model']).toBe('gpt-4o-mini');
    // The client's path goes to Envoy's local-reply mapper as metadata, not to the provider.
    expect(seen.headers['x-ai-eg-original-path']).toBeUndefined();
    expect(JSON.parse(seen.body.toString())).toEqual({ model: 'gpt-4o-mini', messages: [] });

    const stats = await envoy.stats('ext_proc');
    const streamsStarted = Object.entries(stats).find(([name]) =>
      name.endsWith('ext_proc.streams_started'),
    );
    expect(streamsStarted?.[1]).toBeGreaterThanOrEqual(1);
  });

  it('fails closed with a 500 and never reaches the upstream once the ext_proc server is gone', async () => {
    await stopExtProc();
    const before = upstream.requests.length;
    const response = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o-mini' }),
    });
    expect(response.status).toBe(500);
    expect(upstream.requests.length).toBe(before);
  });
});
