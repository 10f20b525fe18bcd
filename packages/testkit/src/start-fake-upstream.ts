import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';

import { LogBuffer } from './log-buffer.js';
import { register, unregister, type ManagedResource } from './registry.js';

/** One request a {@link FakeUpstream} received, with its body fully read. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/v1/chat/completions?x=1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Answers one request; runs after the request has been recorded. */
export type UpstreamHandler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** Options for {@link startFakeUpstream}. */
export interface FakeUpstreamOptions {
  /** Name in logs (default `upstream`). */
  readonly name?: string;
}

/** An in-process HTTP/1.1 server standing in for a provider or backend. */
export interface FakeUpstream extends ManagedResource {
  /** Always `127.0.0.1`, so the upstream can be passed to `staticClusterFor()` as is. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Every request received so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Closes the server and its open connections; same as `stop()`. */
  close(): Promise<void>;
}

/**
 * Starts a `node:http` server on 127.0.0.1 port 0 that records each request (method, url,
 * headers, body) in `requests` and then calls `handler`. A handler that throws produces a 500
 * (or a reset, if the response had started) and a line in the upstream's logs.
 */
export async function startFakeUpstream(
  handler: UpstreamHandler,
  options: FakeUpstreamOptions = {},
): Promise<FakeUpstream> {
  const name = options.name ?? 'upstream';
  const log = new LogBuffer();
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    void serve({ req, res }, { handler, requests, log });
  });
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;
  const upstream: FakeUpstream = {
    name,
    host: '127.0.0.1',
    port,
    url: `http://127.0.0.1:${String(port)}`,
    requests,
    logs: () => log.text(),
    close: () =>
      (closing ??= closeServer(server, () => {
        unregister(upstream);
      })),
    stop: () => upstream.close(),
    killSync: () => {
      server.closeAllConnections();
    },
  };
  register(upstream);
  return upstream;
}

interface ServeContext {
  readonly handler: UpstreamHandler;
  readonly requests: RecordedRequest[];
  readonly log: LogBuffer;
}

async function serve(
  exchange: { req: IncomingMessage; res: ServerResponse },
  context: ServeContext,
): Promise<void> {
  const { req, res } = exchange;
  const started = Date.now();
  res.once('finish', () => {
    context.log.append(
      `${req.method ?? '?'} ${req.url ?? '?'} -> ${String(res.statusCode)} (${String(Date.now() - started)} ms)\n`,
    );
  });
  try {
    const recorded = await record(req);
    context.requests.push(recorded);
    await context.handler(recorded, res);
  } catch (err) {
    context.log.append(
      `handler error for ${req.method ?? '?'} ${req.url ?? '?'}: ${String(err)}\n`,
    );
    failResponse(res, err);
  }
}

async function record(req: IncomingMessage): Promise<RecordedRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    body: Buffer.concat(chunks),
  };
}

function failResponse(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(500, { 'content-type': 'text/plain' })
    .end(`fake upstream handler failed: ${String(err)}`);
}

async function closeServer(
  server: ReturnType<typeof createServer>,
  onClosed: () => void,
): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  // Keep-alive connections (Envoy pools them) would otherwise hold close() open indefinitely.
  server.closeAllConnections();
  await closed;
  onClosed();
}
