import { once } from 'node:events';
import { createServer } from 'node:net';

/** A free TCP port on `host`, chosen by the kernel (there is a small race until it is used). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  server.listen({ host, port: 0 });
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** Resolves when `host:port` can be bound; rejects with the bind error (EADDRINUSE, EACCES). */
export async function checkBindable(host: string, port: number): Promise<void> {
  const server = createServer();
  server.listen({ host, port, exclusive: true });
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]: unknown[]) => {
      throw err;
    }),
  ]);
  server.close();
  await once(server, 'close');
}
