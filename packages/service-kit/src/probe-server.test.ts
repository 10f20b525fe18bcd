import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { startProbeServer, type ProbeServer, type ProbeServerOptions } from './probe-server.js';

const log = createLogger({ name: 'probe-test', level: 'silent', format: 'json' });

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request over a fresh connection (no agent: `close()` must not wait for a pooled socket). */
function call(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startProbeServer', () => {
  let server: ProbeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (options: Partial<ProbeServerOptions>): Promise<ProbeServer> => {
    server = await startProbeServer({
      host: '127.0.0.1',
      port: 0,
      log,
      isReady: () => true,
      ...options,
    });
    return server;
  };

  it('answers readiness on /readyz by default: 503 until ready, then 200', async () => {
    let ready = false;
    const { port } = await start({ isReady: () => ready });
    const before = await call(port, '/readyz');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toEqual({ status: 'not ready' });
    expect(before.headers['content-type']).toBe('application/json; charset=utf-8');
    ready = true;
    const after = await call(port, '/readyz?verbose');
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toEqual({ status: 'ready' });
    expect((await call(port, '/health')).status).toBe(404);
  });

  it('answers readiness on the paths given, and liveness on /healthz even when not ready', async () => {
    const { port } = await start({ isReady: () => false, readinessPaths: ['/health'] });
    expect((await call(port, '/health')).status).toBe(503);
    expect((await call(port, '/readyz')).status).toBe(404);
    const live = await call(port, '/healthz');
    expect(live.status).toBe(200);
    expect(JSON.parse(live.body)).toEqual({ status: 'ok' });
  });

  it('serves /metrics when given, 404 without', async () => {
    const withMetrics = await start({
      metrics: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: 'up 1\n' }),
    });
    const metrics = await call(withMetrics.port, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4');
    expect(metrics.body).toBe('up 1\n');
    await withMetrics.close();
    const { port } = await start({});
    expect((await call(port, '/metrics')).status).toBe(404);
  });

  it('answers HEAD without a body, 405 to other methods, 404 to other paths', async () => {
    const { port } = await start({});
    const head = await call(port, '/readyz', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await call(port, '/readyz', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
    const missing = await call(port, '/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ status: 'not found' });
  });

  it('answers 500 when the metrics fail, and keeps serving', async () => {
    const { port } = await start({
      metrics: () => Promise.reject(new Error('registry broken')),
    });
    const failed = await call(port, '/metrics');
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ status: 'error' });
    expect((await call(port, '/healthz')).status).toBe(200);
  });

  it('stops listening on close', async () => {
    const { port } = await start({});
    await server?.close();
    server = undefined;
    await expect(call(port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
