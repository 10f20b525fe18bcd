import { createServer } from 'node:net';

/**
 * Returns a TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before
 * the caller binds it, so prefer binding port 0 directly where the program supports it.
 */
export async function getFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve, reject) => {
    server.close((err) => {
      if (err === undefined) {
        resolve();
      } else {
        reject(err);
      }
    });
  });
  if (address === null || typeof address === 'string') {
    throw new Error('net.Server.address() returned no TCP address');
  }
  return address.port;
}
