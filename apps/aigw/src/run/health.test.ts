import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { checkHealth } from './health.js';
import { freePort } from './ports.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(async (server) => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    }),
  );
});

async function serve(handler: (path: string) => { status: number; body: string }): Promise<number> {
  const server = createServer((req, res) => {
    const { status, body } = handler(req.url ?? '/');
    res.writeHead(status).end(body);
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  servers.push(server);
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** A stand-in for Envoy's admin API pointing at a listener on `listenerPort`. */
function admin(listenerPort: number, ready = 200) {
  return (path: string): { status: number; body: string } => {
    if (path === '/ready')
      return { status: ready, body: ready === 200 ? 'LIVE\n' : 'PRE_INITIALIZING\n' };
    return {
      status: 200,
      body: JSON.stringify({
        listener_statuses: [
          {
            name: 'aigw',
            local_address: { socket_address: { address: '0.0.0.0', port_value: listenerPort } },
          },
        ],
      }),
    };
  };
}

describe('checkHealth', () => {
  it('is healthy when /ready is 200 and the listener answers below 500', async () => {
    const listener = await serve(() => ({ status: 404, body: 'no route' }));
    const adminPort = await serve(admin(listener));
    expect(await checkHealth({ adminPort, timeoutMs: 2_000 })).toEqual({
      ok: true,
      detail: `Envoy LIVE, gateway listening on port ${String(listener)}`,
    });
  });

  it('names the missing admin', async () => {
    const result = await checkHealth({ adminPort: await freePort(), timeoutMs: 2_000 });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringMatching(
        /no Envoy admin at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/,
      ) as unknown,
    });
  });

  it('reports an Envoy that is not ready yet', async () => {
    const adminPort = await serve(admin(1, 503));
    const result = await checkHealth({ adminPort, timeoutMs: 2_000 });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining('503 PRE_INITIALIZING') as unknown,
    });
  });

  it('reports a listener that answers 5xx (extproc unreachable) or not at all', async () => {
    const listener = await serve(() => ({ status: 500, body: '' }));
    const failing = await checkHealth({
      adminPort: await serve(admin(listener)),
      timeoutMs: 2_000,
    });
    expect(failing).toMatchObject({
      ok: false,
      reason: expect.stringContaining('answered 500') as unknown,
    });
    const gone = await checkHealth({
      adminPort: await serve(admin(await freePort())),
      timeoutMs: 2_000,
    });
    expect(gone).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not answer') as unknown,
    });
  });
});
