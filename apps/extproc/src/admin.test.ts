import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type ProbeServer } from '@aigw/service-kit';
import { startAdminServer } from './admin.js';

const log = createLogger({ name: 'admin-test', level: 'silent', format: 'json' });

const get = (server: ProbeServer, path: string): Promise<Response> =>
  fetch(`http://127.0.0.1:${String(server.port)}${path}`);

describe('admin server', () => {
  let server: ProbeServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers /health as the serving state, /healthz always, nothing else', async () => {
    let serving = false;
    server = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      log,
      isServing: () => serving,
    });
    const before = await get(server, '/health');
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ status: 'not ready' });
    expect((await get(server, '/healthz')).status).toBe(200);
    serving = true;
    const after = await get(server, '/health');
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ready' });
    // Upstream's /metrics carries GenAI metrics this extproc does not record; /readyz is not a path.
    expect((await get(server, '/metrics')).status).toBe(404);
    expect((await get(server, '/readyz')).status).toBe(404);
  });
});
