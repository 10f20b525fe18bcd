/**
 * The fake OpenAI backend, run as its own process so it shares no event loop with the client or
 * the extproc: `POST /v1/chat/completions` answers after `--latency-ms` of think time (default
 * 0: at once) with a fixed JSON body, or streams `--frames` SSE chunks `--frame-gap-ms` apart
 * (the first after the think time); `GET /stats` reports counters the benchmark checks (how many
 * streams asked for usage: the gateway must inject it; requests by bearer key: which gateway
 * forwarded them). Deterministic: the same request always
 * gets the same bytes after the same pause.
 *
 * Usage: node --import tsx src/fake-backend.ts --port <port> [--frames 20] [--frame-gap-ms 1]
 *        [--latency-ms 0]
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { chatResponse, streamFrames } from './payloads.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    frames: { type: 'string', default: '20' },
    'frame-gap-ms': { type: 'string', default: '1' },
    'latency-ms': { type: 'string', default: '0' },
  },
});
const port = Number(values.port);
const frameCount = Number(values.frames);
const gapMs = Number(values['frame-gap-ms']);
const latencyMs = Number(values['latency-ms']);
if (
  !Number.isInteger(port) ||
  port <= 0 ||
  !(frameCount >= 2) ||
  !(gapMs >= 0) ||
  !(latencyMs >= 0)
) {
  process.stderr.write(
    'fake-backend: --port <port> [--frames >=2] [--frame-gap-ms >=0] [--latency-ms >=0]\n',
  );
  process.exit(2);
}

const framesPlain = streamFrames({ count: frameCount, includeUsage: false });
const framesWithUsage = streamFrames({ count: frameCount, includeUsage: true });
const stats = {
  json: 0,
  streams: 0,
  streamsWithUsage: 0,
  badRequests: 0,
  /** Requests by the bearer key they carried: proves which gateway forwarded them. */
  byKey: {} as Record<string, number>,
};

/** The bearer key of a request (`authorization: Bearer <key>`), or `(none)`. */
function keyOf(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : header === '' ? '(none)' : header;
}

interface ChatBody {
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function stream(res: ServerResponse, includeUsage: boolean): Promise<void> {
  const frames = includeUsage ? framesWithUsage : framesPlain;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [index, chunk] of frames.chunks.entries()) {
    if (index > 0) await delay(gapMs);
    if (res.destroyed) return;
    res.write(chunk);
  }
  await delay(gapMs);
  res.end(frames.tail);
}

async function chat(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: ChatBody;
  try {
    body = JSON.parse((await readBody(req)).toString('utf8')) as ChatBody;
  } catch {
    stats.badRequests++;
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":{"message":"bad"}}');
    return;
  }
  const key = keyOf(req);
  stats.byKey[key] = (stats.byKey[key] ?? 0) + 1;
  // Think time: a real provider's time to first byte. 0 skips the timer (no extra event-loop turn).
  if (latencyMs > 0) await delay(latencyMs);
  if (body.stream === true) {
    const includeUsage = body.stream_options?.include_usage === true;
    stats.streams++;
    if (includeUsage) stats.streamsWithUsage++;
    await stream(res, includeUsage);
    return;
  }
  stats.json++;
  res
    .writeHead(200, {
      'content-type': 'application/json',
      'content-length': String(chatResponse.byteLength),
    })
    .end(chatResponse);
}

const server = createServer({ keepAliveTimeout: 120_000 }, (req, res) => {
  if (req.method === 'GET') {
    const text = req.url === '/stats' ? JSON.stringify(stats) : 'ok';
    res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    return;
  }
  chat(req, res).catch((err: unknown) => {
    process.stderr.write(`fake-backend: ${String(err)}\n`);
    res.destroy();
  });
});
server.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
