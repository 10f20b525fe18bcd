import { once } from 'node:events';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkBindable, freePort } from './ports.js';

describe('ports', () => {
  it('finds a free port that can then be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await expect(checkBindable('127.0.0.1', port)).resolves.toBeUndefined();
  });

  it('reports a port in use with EADDRINUSE', async () => {
    const server = createServer();
    server.listen({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(checkBindable('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      server.close();
    }
  });
});
