import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request a fake received: enough for a test to assert what the client sent. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What a fake's route returns. */
export interface FakeReply {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** A route handler of a fake token server. */
export type FakeRoute = (req: RecordedRequest) => FakeReply | Promise<FakeReply>;

/** Shared shape of every fake: its base URL, what it received, an outage switch, close. */
export interface FakeServer {
  /** `http://127.0.0.1:<port>` (or `https://localhost:<port>`). */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** While true, every connection is reset before an answer: the service is down. */
  down: boolean;
  close(): Promise<void>;
}

/** JSON reply. */
export function json(status: number, body: unknown): FakeReply {
  return { status, body: JSON.stringify(body), contentType: 'application/json; charset=utf-8' };
}

/** A form-encoded body as a plain record (last value wins). */
export function form(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/** The `user:password` of an HTTP Basic `authorization` header, URL-decoded as RFC 6749 says. */
export function basicAuth(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return {
    user: decodeURIComponent(decoded.slice(0, colon)),
    password: decodeURIComponent(decoded.slice(colon + 1)),
  };
}

/**
 * Starts a fake on 127.0.0.1, port 0: `route(req)` answers every request (404 JSON when it
 * returns undefined). With `tls`, serves HTTPS with that certificate (URL host `localhost`).
 */
export async function startFake(
  route: (req: RecordedRequest) => FakeReply | undefined | Promise<FakeReply | undefined>,
  options: { tls?: { cert: string; key: string } } = {},
): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const state = { down: false };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (state.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      void Promise.resolve(route(recorded))
        .catch((err: unknown) => json(500, { error: String(err) }))
        .then((reply) => {
          const answer = reply ?? json(404, { error: 'not_found', path: recorded.path });
          res.writeHead(answer.status, {
            'content-type': answer.contentType,
            'content-length': Buffer.byteLength(answer.body),
          });
          res.end(answer.body);
        });
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const url = options.tls
    ? `https://localhost:${String(port)}`
    : `http://127.0.0.1:${String(port)}`;
  return {
    url,
    requests,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

/** `target` with the properties of `extra`, accessors kept as accessors (unlike Object.assign). */
export function extend<T extends object, U extends object>(target: T, extra: U): T & U {
  return Object.defineProperties(target, Object.getOwnPropertyDescriptors(extra)) as T & U;
}
