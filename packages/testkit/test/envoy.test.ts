import { afterAll, describe, expect, it } from 'vitest';

import {
  isTestkitError,
  startEnvoy,
  startFakeUpstream,
  staticClusterFor,
  stopAll,
  withLogsOnFailure,
  jsonResponder,
  type EnvoyProcess,
  type FakeUpstream,
} from '../src/index.js';

withLogsOnFailure();
afterAll(() => stopAll());

const routerFilter = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};

function httpListener(name: string, routes: readonly object[], extra: object = {}): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes, ...extra }] },
              http_filters: [routerFilter],
            },
          },
        ],
      },
    ],
  };
}

function bootstrapFor(upstream: FakeUpstream): object {
  return {
    static_resources: {
      listeners: [
        httpListener('direct', [
          {
            match: { prefix: '/' },
            direct_response: { status: 200, body: { inline_string: 'hello from envoy' } },
          },
        ]),
        httpListener('proxy', [{ match: { prefix: '/' }, route: { cluster: 'upstream' } }], {
          request_headers_to_add: [{ header: { key: 'x-testkit', value: 'added-by-envoy' } }],
        }),
      ],
      clusters: [staticClusterFor('upstream', upstream)],
    },
  };
}

describe('startEnvoy', () => {
  let envoy: EnvoyProcess;
  let upstream: FakeUpstream;

  it('starts from a bootstrap whose listeners bind port 0 and serves a direct response', async () => {
    upstream = await startFakeUpstream(jsonResponder(200, { ok: true }));
    envoy = await startEnvoy({ bootstrap: bootstrapFor(upstream), logLevel: 'info' });
    expect(envoy.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const port = await envoy.listenerPort('direct');
    expect(port).toBeGreaterThan(0);
    const response = await fetch(`http://127.0.0.1:${String(port)}/anything`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello from envoy');
  });

  it('proxies to a fake upstream that records the request and the header Envoy added', async () => {
    const response = await fetch(`${await envoy.listenerUrl('proxy')}/v1/chat?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(upstream.requests).toHaveLength(1);
    const [request] = upstream.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/chat?x=1');
    expect(request?.headers['x-testkit']).toBe('added-by-envoy');
    expect(JSON.parse(request?.body.toString() ?? '')).toEqual({ model: 'm' });
    expect(upstream.logs()).toContain('POST /v1/chat?x=1 -> 200');
  });

  it('reads counters through stats() and the admin API', async () => {
    const stats = await envoy.stats('^cluster\\.upstream\\.upstream_rq_total$');
    expect(stats).toEqual({ 'cluster.upstream.upstream_rq_total': 1 });
    expect(await envoy.admin('/ready')).toContain('LIVE');
  });

  it('rejects listenerPort for an unknown listener, naming the known ones', async () => {
    await expect(envoy.listenerPort('nope')).rejects.toThrow(
      /no TCP listener named "nope" \(listeners: direct, proxy\)/,
    );
  });

  it('keeps Envoy output in logs()', () => {
    expect(envoy.logs()).toContain('starting main dispatch loop');
  });

  it('leaves no process behind after stop()', async () => {
    await envoy.stop();
    expect(() => process.kill(envoy.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    await envoy.stop(); // idempotent
  });

  it('runs several instances side by side', async () => {
    const bootstrap = bootstrapFor(upstream);
    const [a, b] = await Promise.all([
      startEnvoy({ bootstrap, name: 'a' }),
      startEnvoy({ bootstrap, name: 'b' }),
    ]);
    expect(a.adminUrl).not.toBe(b.adminUrl);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe('startEnvoy with a broken bootstrap', () => {
  it('rejects with a message that carries the tail of the Envoy log', async () => {
    const bootstrap = {
      static_resources: {
        clusters: [{ name: 'broken', type: 'STATIC', connect_timeout: 'not-a-duration' }],
      },
    };
    let caught: unknown;
    try {
      await startEnvoy({ bootstrap, name: 'broken-envoy' });
    } catch (err) {
      caught = err;
    }
    expect(isTestkitError(caught) && caught.code).toBe('process-exited');
    const message = caught instanceof Error ? caught.message : '';
    expect(message).toMatch(/broken-envoy \(pid \d+\) exited with code 1 before it was ready/);
    expect(message).toContain('Last log lines:');
    expect(message).toMatch(/not-a-duration|Unable to parse/);
  });
});
