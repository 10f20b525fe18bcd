// Transport micro-benchmark: the ext_proc transport alone, grpc-js against service-kit's lean
// `node:http2` server (H2GrpcServer), interleaved, each in its own child process so that the
// figures are the server's CPU and RSS only.
//
//   node --import tsx --conditions=@aigw/source apps/extproc/bench/transport-micro.ts [rounds] [streams]
//
// Both servers run the same handler: each ext_proc message is answered with the phase's
// pre-encoded CONTINUE (messages.ts), so the difference is the transport (per-stream call objects,
// framing, trailers), not the extproc's processing. One client in this process (raw node:http2,
// one connection per server, as an Envoy worker keeps one) runs `streams` streams per round at
// concurrency 16, each of 5 Envoy-shaped messages sent one after the other, each awaited (a
// router-level stream: request headers, request body, response headers, two response body
// chunks), then a half-close and the trailers. Rounds alternate the order of the two servers.
// Prints, per server, the median over rounds of server CPU µs per stream, and RSS. Figures, not
// a test: nothing is asserted.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import {
  connect,
  createServer,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
} from 'node:http2';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import * as extProc from '@aigw/proto/ext-proc-service';
import { H2GrpcServer } from '@aigw/service-kit';
import { continueResponses, serializeResponse } from '../src/processor/messages.js';

type Transport = 'grpc-js' | 'h2' | 'floor';
interface Usage {
  readonly cpuMicros: number;
  readonly rssMiB: number;
}

const processMethod = {
  ...extProc.ExternalProcessorService.process,
  responseSerialize: serializeResponse,
};

function answer(request: extProc.ProcessingRequest): extProc.ProcessingResponse {
  const phase = request.request?.$case;
  return phase === undefined || phase === 'requestTrailers' || phase === 'responseTrailers'
    ? continueResponses.requestHeaders
    : continueResponses[phase];
}

// ---- child: one server ----

// The floor: node:http2 alone, no gRPC layer. Every request message (assumed one per DATA chunk,
// as this client sends them) is answered with the same pre-framed CONTINUE; no decoding.
function serveFloor(socket: string): void {
  const payload = serializeResponse(continueResponses.requestHeaders);
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  frame.set(payload, 5);
  const server = createServer();
  server.on('stream', (stream) => {
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    );
    stream.on('wantTrailers', () => {
      stream.sendTrailers({ 'grpc-status': '0' });
    });
    stream.on('data', () => stream.write(frame));
    stream.on('end', () => stream.end());
  });
  server.listen(socket);
}

async function serve(transport: Transport, socket: string): Promise<void> {
  if (transport === 'floor') {
    serveFloor(socket);
  } else if (transport === 'h2') {
    const server = new H2GrpcServer();
    server.addStreaming(processMethod, (call) => ({
      onMessage: (request) => call.write(answer(request)),
      onEnd: () => {
        call.end();
      },
    }));
    await server.listen(`unix:${socket}`);
  } else {
    const server = new Server({
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
    });
    server.addService(
      { process: processMethod },
      {
        process: (
          call: ServerDuplexStream<extProc.ProcessingRequest, extProc.ProcessingResponse>,
        ) => {
          call.on('data', (request: extProc.ProcessingRequest) => call.write(answer(request)));
          call.on('end', () => call.end());
          call.on('error', () => undefined);
        },
      },
    );
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(`unix:${socket}`, ServerCredentials.createInsecure(), (err) => {
        if (err) reject(err);
        else resolve();
      });
    });
  }
  let last = process.cpuUsage();
  process.on('message', () => {
    const now = process.cpuUsage();
    const usage: Usage = {
      cpuMicros: now.user - last.user + now.system - last.system,
      rssMiB: process.memoryUsage.rss() / 1024 / 1024,
    };
    last = now;
    process.send?.(usage);
  });
  process.send?.('ready');
  process.on('disconnect', () => process.exit(0));
}

// ---- parent: the client and the rounds ----

function framed(message: extProc.ProcessingRequest): Buffer {
  const payload = extProc.ProcessingRequest.encode(message).finish();
  const out = Buffer.alloc(5 + payload.length);
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

function headers(entries: Record<string, string>): extProc.HttpHeaders {
  return extProc.HttpHeaders.fromPartial({
    headers: {
      headers: Object.entries(entries).map(([key, value]) => ({
        key,
        rawValue: Buffer.from(value),
      })),
    },
  });
}

const chatBody = JSON.stringify({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say hello in five words, no more, please.' }],
  max_tokens: 32,
});
const completion = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there, how are you?' } }],
  usage: { prompt_tokens: 14, completion_tokens: 7, total_tokens: 21 },
});

// The five messages of one router-level stream, encoded once.
const messages: readonly Buffer[] = [
  extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestHeaders',
      value: headers({
        ':authority': 'gateway.local',
        ':path': '/v1/chat/completions',
        ':method': 'POST',
        ':scheme': 'http',
        'content-type': 'application/json',
        authorization: 'Bearer sk-test',
        'user-agent': 'OpenAI/JS 5.0.0',
        'x-request-id': '6f1c7f5e-0c4f-4a8e-9a3e-1b2c3d4e5f60',
        'content-length': String(chatBody.length),
      }),
    },
  }),
  extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestBody',
      value: { body: Buffer.from(chatBody), endOfStream: true },
    },
  }),
  extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'responseHeaders',
      value: headers({
        ':status': '200',
        'content-type': 'application/json',
        'content-length': String(completion.length),
        date: 'Mon, 07 Dec 2026 14:00:00 GMT',
      }),
    },
  }),
  extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'responseBody',
      value: { body: Buffer.from(completion.slice(0, 100)), endOfStream: false },
    },
  }),
  extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'responseBody',
      value: { body: Buffer.from(completion.slice(100)), endOfStream: true },
    },
  }),
].map(framed);

function oneStream(session: ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': processMethod.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let sent = 0;
    let received = 0;
    stream.on('data', (chunk: Buffer) => {
      received += chunk.length; // every answer is one small frame
      sent++;
      if (sent < messages.length) stream.write(messages[sent]);
      else stream.end();
    });
    stream.on('trailers', (trailers: IncomingHttpHeaders) => {
      if (trailers['grpc-status'] !== '0')
        reject(new Error(`status ${String(trailers['grpc-status'])}`));
    });
    stream.on('error', reject);
    stream.on('close', () => {
      if (received === 0) reject(new Error('no answer'));
      else resolve();
    });
    stream.write(messages[0]);
  });
}

async function runStreams(session: ClientHttp2Session, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      await oneStream(session);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

function ask(child: ChildProcess): Promise<Usage> {
  return new Promise((resolve) => {
    child.once('message', (usage: Usage) => {
      resolve(usage);
    });
    child.send('usage');
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

interface Peer {
  readonly child: ChildProcess;
  readonly session: ClientHttp2Session;
  readonly cpu: number[];
  readonly rss: number[];
  idleRss: number;
}

async function startPeer(transport: Transport, dir: string): Promise<Peer> {
  const socket = join(dir, `${transport}.sock`);
  const child = fork(fileURLToPath(import.meta.url), ['--serve', transport, socket], {
    execArgv: ['--import', 'tsx', '--conditions=@aigw/source'],
  });
  await new Promise((resolve) => child.once('message', resolve));
  const session = connect('http://localhost', { path: socket } as never);
  return { child, session, cpu: [], rss: [], idleRss: (await ask(child)).rssMiB };
}

async function measure(peer: Peer, streams: number): Promise<void> {
  await ask(peer.child);
  await runStreams(peer.session, streams);
  const usage = await ask(peer.child);
  peer.cpu.push(usage.cpuMicros / streams);
  peer.rss.push(usage.rssMiB);
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? '15');
  const streams = Number(process.argv[3] ?? '2000');
  const dir = mkdtempSync(join(tmpdir(), 'transport-micro-'));
  const transports: readonly Transport[] = ['grpc-js', 'h2', 'floor'];
  const peers = new Map<Transport, Peer>();
  for (const transport of transports) peers.set(transport, await startPeer(transport, dir));
  const peerOf = (transport: Transport): Peer => peers.get(transport) as Peer;
  // Warm-up: JIT both servers and the client.
  for (const transport of transports) {
    await runStreams(peerOf(transport).session, streams);
    await ask(peerOf(transport).child);
  }
  for (let round = 0; round < rounds; round++) {
    const order = transports.map(
      (_, i) => transports[(i + round) % transports.length] as Transport,
    );
    for (const transport of order) await measure(peerOf(transport), streams);
  }
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(
    `${String(rounds)} interleaved rounds of ${String(streams)} streams (5 messages each, concurrency 16); load ${load}`,
  );
  const base = median(peerOf('grpc-js').cpu);
  for (const transport of transports) {
    const peer = peerOf(transport);
    const perStream = median(peer.cpu);
    console.log(
      `${transport.padEnd(8)} server CPU/stream median ${perStream.toFixed(1)} µs (${(perStream / base).toFixed(2)}× grpc-js; rounds: ${peer.cpu.map((v) => v.toFixed(0)).join(', ')}); RSS idle ${peer.idleRss.toFixed(1)}, under load max ${Math.max(...peer.rss).toFixed(1)} MiB`,
    );
  }
  for (const peer of peers.values()) {
    peer.session.close();
    peer.child.disconnect();
  }
  rmSync(dir, { recursive: true, force: true });
}

if (process.argv[2] === '--serve') {
  await serve(process.argv[3] as Transport, process.argv[4] ?? '');
} else {
  await main();
}
