import { mkdtempSync, rmSync } from 'node:fs';
import {
  connect,
  constants,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
} from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  status,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import * as health from '@aigw/proto/health';
import { afterEach, describe, expect, it } from 'vitest';
import { startH2GrpcService, type H2GrpcService } from './h2-grpc-service.js';
import {
  encodeGrpcMessage,
  GrpcStatusError,
  grpcCode,
  parseGrpcTimeout,
  type H2CloseReason,
  type H2ServerCall,
} from './h2-grpc.js';
import { createLogger } from './logger.js';

const log = createLogger({ name: 'h2-grpc-test', level: 'silent', format: 'json' });
const { HealthCheckRequest } = health;
const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;

// A test service built from the health messages: a bidi echo and a unary that fails on demand.
const echo = {
  path: '/test.Echo/Bidi',
  requestStream: true,
  responseStream: true,
  requestSerialize: (m: health.HealthCheckRequest) =>
    Buffer.from(HealthCheckRequest.encode(m).finish()),
  requestDeserialize: (b: Buffer) => HealthCheckRequest.decode(b),
  responseSerialize: (m: health.HealthCheckRequest) =>
    Buffer.from(HealthCheckRequest.encode(m).finish()),
  responseDeserialize: (b: Buffer) => HealthCheckRequest.decode(b),
} as const;
const fail = {
  ...echo,
  path: '/test.Echo/Fail',
  requestStream: false,
  responseStream: false,
} as const;
const EchoClient = makeGenericClientConstructor({ bidi: echo, fail }, 'test.Echo');
type Bidi = ClientDuplexStream<health.HealthCheckRequest, health.HealthCheckRequest>;

function bidi(client: InstanceType<typeof EchoClient>, options: CallOptions = {}): Bidi {
  return client.makeBidiStreamRequest(
    echo.path,
    echo.requestSerialize,
    echo.responseDeserialize,
    new Metadata(),
    options,
  );
}

interface Recorded {
  readonly calls: H2ServerCall<health.HealthCheckRequest>[];
  readonly closed: Promise<H2CloseReason>[];
}

let service: H2GrpcService | undefined;
let session: ClientHttp2Session | undefined;
let dir: string | undefined;

afterEach(async () => {
  session?.destroy();
  session = undefined;
  await service?.close();
  service = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Starts the service with the echo methods; the calls and their close reasons are recorded. */
async function start(address = '127.0.0.1:0', drainTimeoutMs = 5_000): Promise<Recorded> {
  const recorded: Recorded = { calls: [], closed: [] };
  service = await startH2GrpcService({
    address,
    log,
    drainTimeoutMs,
    maxReceiveMessageLength: 1024 * 1024,
    register: (server) => {
      server.addStreaming(echo, (call) => {
        recorded.calls.push(call);
        let onClose: (reason: H2CloseReason) => void = () => undefined;
        recorded.closed.push(new Promise((resolve) => (onClose = resolve)));
        return {
          onMessage: (message) => {
            if (message.service === 'end') call.end();
            else if (message.service.startsWith('fail:'))
              call.end({ code: grpcCode.FAILED_PRECONDITION, details: message.service.slice(5) });
            else call.write(message);
          },
          onEnd: () => {
            call.end();
          },
          onClose,
        };
      });
      server.addUnary(fail, (request) => {
        throw new GrpcStatusError(grpcCode.INVALID_ARGUMENT, request.service);
      });
    },
  });
  return recorded;
}

function frame(service: string, flags = 0): Buffer {
  const payload = HealthCheckRequest.encode({ service }).finish();
  const out = Buffer.alloc(5 + payload.length);
  out[0] = flags;
  out.writeUInt32BE(payload.length, 1);
  out.set(payload, 5);
  return out;
}

/** A raw HTTP/2 call: the response headers, the decoded messages, and the trailers. */
interface RawResult {
  readonly headers: IncomingHttpHeaders;
  readonly messages: string[];
  readonly trailers: IncomingHttpHeaders | undefined;
}

function raw(path: string, extra: Record<string, string> = {}): ClientHttp2Stream {
  session ??= connect(`http://127.0.0.1:${String(service?.bound.port)}`);
  return session.request({
    ':method': 'POST',
    ':path': path,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...extra,
  });
}

function collect(stream: ClientHttp2Stream): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t: IncomingHttpHeaders) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => {
      const data = Buffer.concat(chunks);
      const messages: string[] = [];
      for (let at = 0; at < data.length;) {
        const length = data.readUInt32BE(at + 1);
        messages.push(HealthCheckRequest.decode(data.subarray(at + 5, at + 5 + length)).service);
        at += 5 + length;
      }
      resolve({ headers, messages, trailers });
    });
  });
}

describe('H2GrpcServer with a node:http2 client', () => {
  it('answers a bidi stream: 200, application/grpc, messages, grpc-status 0 in trailers', async () => {
    await start();
    const stream = raw(echo.path);
    const result = collect(stream);
    // Three messages in one DATA frame, the middle one empty (every field at its default).
    stream.end(Buffer.concat([frame('a'), frame(''), frame('b')]));
    const { headers, messages, trailers } = await result;
    expect(headers[':status']).toBe(200);
    expect(headers['content-type']).toBe('application/grpc');
    expect(messages).toEqual(['a', '', 'b']);
    expect(trailers?.['grpc-status']).toBe('0');
  });

  it('reassembles messages split across DATA frames, header bytes included', async () => {
    await start();
    const stream = raw(echo.path);
    const result = collect(stream);
    // 16,384-byte DATA frames: the second message's 5-byte prefix straddles the first boundary,
    // and the 100 kB third message spans seven frames.
    const first = frame('x'.repeat(16_384 - 5 - 3 - 3));
    const big = 'y'.repeat(100_000);
    stream.end(Buffer.concat([first, frame('second'), frame(big)]));
    const { messages, trailers } = await result;
    expect(messages.map((m) => m.length)).toEqual([16_384 - 11, 6, 100_000]);
    expect(messages[2]).toBe(big);
    expect(trailers?.['grpc-status']).toBe('0');
  });

  it('answers an unknown method with a trailers-only UNIMPLEMENTED', async () => {
    await start();
    const stream = raw('/nope.Service/Method');
    const result = collect(stream);
    stream.end(frame('a'));
    const { headers, messages, trailers } = await result;
    expect(headers[':status']).toBe(200);
    expect(headers['grpc-status']).toBe(String(grpcCode.UNIMPLEMENTED));
    expect(headers['grpc-message']).toBe('unknown method /nope.Service/Method');
    expect(messages).toEqual([]);
    expect(trailers).toBeUndefined();
  });

  it('refuses a compressed message with UNIMPLEMENTED', async () => {
    await start();
    const stream = raw(echo.path);
    const result = collect(stream);
    stream.end(frame('a', 1));
    const { headers } = await result;
    expect(headers['grpc-status']).toBe(String(grpcCode.UNIMPLEMENTED));
  });

  it('refuses a message above the receive limit with RESOURCE_EXHAUSTED', async () => {
    await start();
    const stream = raw(echo.path);
    const result = collect(stream);
    stream.end(frame('z'.repeat(1024 * 1024 + 1)));
    const { headers } = await result;
    expect(headers['grpc-status']).toBe(String(grpcCode.RESOURCE_EXHAUSTED));
  });

  it('sends an error after messages as grpc-status and a percent-encoded grpc-message', async () => {
    await start();
    const stream = raw(echo.path);
    const result = collect(stream);
    stream.write(frame('a'));
    stream.write(frame('fail:bad 100% — ünïcode'));
    const { messages, trailers } = await result;
    expect(messages).toEqual(['a']);
    expect(trailers?.['grpc-status']).toBe(String(grpcCode.FAILED_PRECONDITION));
    expect(trailers?.['grpc-message']).toBe('bad 100%25 %E2%80%94 %C3%BCn%C3%AFcode');
    stream.close();
  });

  it('ends a call at its grpc-timeout with DEADLINE_EXCEEDED and tells the handler', async () => {
    const recorded = await start();
    const stream = raw(echo.path, { 'grpc-timeout': '20m' });
    const result = collect(stream);
    stream.write(frame('a')); // and never half-closes
    const { messages, trailers } = await result;
    expect(messages).toEqual(['a']);
    expect(trailers?.['grpc-status']).toBe(String(grpcCode.DEADLINE_EXCEEDED));
    await expect(recorded.closed[0]).resolves.toBe('deadline');
    expect(recorded.calls[0]?.signal.aborted).toBe(true);
  });

  it('tells the handler when the client resets the stream (RST_STREAM CANCEL)', async () => {
    const recorded = await start();
    const stream = raw(echo.path);
    stream.write(frame('a'));
    await new Promise((resolve) => stream.once('data', resolve));
    stream.close(constants.NGHTTP2_CANCEL);
    await expect(recorded.closed[0]).resolves.toBe('cancelled');
    expect(recorded.calls[0]?.signal.aborted).toBe(true);
    expect(service?.server.activeCalls).toBe(0);
    // A late answer (an async handler) is dropped, not thrown.
    expect(recorded.calls[0]?.write({ service: 'late' })).toBe(false);
    expect(() => recorded.calls[0]?.end()).not.toThrow();
  });

  it('holds writes back under HTTP/2 flow control until the client reads', async () => {
    const recorded = await start();
    const stream = raw(echo.path);
    stream.pause();
    stream.write(frame('first'));
    await waitUntil(() => recorded.calls.length === 1);
    const call = recorded.calls[0];
    if (!call) throw new Error('no call');
    let writes = 0;
    while (call.write({ service: 'p'.repeat(64 * 1024) })) writes++;
    // 64 KiB stream window and the stream's buffer: the server stops well before 100 messages.
    expect(writes).toBeLessThan(100);
    const drained = call.drained();
    stream.resume();
    await drained;
    call.end();
    stream.close();
  });

  it('drains in-flight streams on close: GOAWAY, the open call finishes, then the server stops', async () => {
    const recorded = await start();
    const stream = raw(echo.path);
    const result = collect(stream);
    stream.write(frame('before'));
    await waitUntil(() => recorded.calls.length === 1);
    const goaway = new Promise((resolve) => session?.once('goaway', resolve));
    const closing = service?.close();
    service = undefined;
    await goaway;
    stream.end(frame('after'));
    const { messages, trailers } = await result;
    expect(messages).toEqual(['before', 'after']);
    expect(trailers?.['grpc-status']).toBe('0');
    await closing;
  });

  it('cancels what is still running when the drain deadline passes', async () => {
    const recorded = await start('127.0.0.1:0', 50);
    const stream = raw(echo.path);
    stream.on('error', () => undefined);
    stream.write(frame('a'));
    await waitUntil(() => recorded.calls.length === 1);
    await service?.close();
    service = undefined;
    await expect(recorded.closed[0]).resolves.toBe('shutdown');
  });
});

describe('H2GrpcServer with a grpc-js client', () => {
  it('listens on :port as grpc-js does (all interfaces) and reports the bound port', async () => {
    await start(':0');
    expect(service?.bound.address).toBe(`0.0.0.0:${String(service?.bound.port)}`);
    expect(service?.bound.port).toBeGreaterThan(0);
    const client = new EchoClient(
      `127.0.0.1:${String(service?.bound.port)}`,
      credentials.createInsecure(),
    );
    const call = bidi(client);
    const ended = new Promise((resolve) => call.on('status', resolve));
    call.on('data', () => undefined);
    call.end();
    await expect(ended).resolves.toMatchObject({ code: status.OK });
    client.close();
  });

  it('serves a bidi stream over a Unix socket', async () => {
    dir = mkdtempSync(join(tmpdir(), 'h2-grpc-'));
    await start(`unix:${join(dir, 's.sock')}`);
    expect(service?.bound.address).toBe(`unix:${join(dir, 's.sock')}`);
    const client = new EchoClient(service?.bound.address ?? '', credentials.createInsecure());
    const call = bidi(client);
    const received: string[] = [];
    call.on('data', (m: health.HealthCheckRequest) => received.push(m.service));
    const ended = new Promise((resolve) => call.on('status', resolve));
    call.write({ service: 'one' });
    call.write({ service: 'two' });
    call.end();
    await expect(ended).resolves.toMatchObject({ code: status.OK });
    expect(received).toEqual(['one', 'two']);
    client.close();
  });

  it('passes a thrown status and its non-ASCII message to the client', async () => {
    await start();
    const client = new EchoClient(service?.bound.address ?? '', credentials.createInsecure());
    const err = await new Promise<ServiceError>((resolve) => {
      client.makeUnaryRequest(
        fail.path,
        fail.requestSerialize,
        fail.responseDeserialize,
        { service: 'nope — ü 100%' },
        (e) => {
          if (e) resolve(e);
        },
      );
    });
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toBe('nope — ü 100%');
    client.close();
  });

  it('ends a call at the client deadline with DEADLINE_EXCEEDED', async () => {
    const recorded = await start();
    const client = new EchoClient(service?.bound.address ?? '', credentials.createInsecure());
    const call = bidi(client, { deadline: Date.now() + 50 });
    call.on('data', () => undefined);
    call.on('error', () => undefined);
    const ended = new Promise((resolve) => call.on('status', resolve));
    call.write({ service: 'a' });
    await expect(ended).resolves.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    // grpc-js' own timer and the server's race: either way the handler hears the call is over.
    await expect(recorded.closed[0]).resolves.toMatch(/^(deadline|cancelled|finished)$/);
    client.close();
  });

  it('tells the handler when the grpc-js client cancels', async () => {
    const recorded = await start();
    const client = new EchoClient(service?.bound.address ?? '', credentials.createInsecure());
    const call = bidi(client);
    call.on('error', () => undefined);
    const first = new Promise((resolve) => call.once('data', resolve));
    call.write({ service: 'a' });
    await first;
    call.cancel();
    await expect(recorded.closed[0]).resolves.toBe('cancelled');
    client.close();
  });

  it('serves grpc.health.v1 Check and Watch, NOT_SERVING on close', async () => {
    await start();
    service?.health.setStatus('svc', SERVING);
    const client = new health.HealthClient(
      service?.bound.address ?? '',
      credentials.createInsecure(),
    );
    const check = (name: string): Promise<health.HealthCheckResponse | ServiceError> =>
      new Promise((resolve) => {
        client.check({ service: name }, (err, res) => {
          resolve(err ?? res);
        });
      });
    await expect(check('svc')).resolves.toMatchObject({ status: SERVING });
    await expect(check('')).resolves.toMatchObject({ status: SERVING }); // an empty message
    await expect(check('missing')).resolves.toMatchObject({ code: status.NOT_FOUND });
    const watch = client.watch({ service: 'svc' });
    const seen: number[] = [];
    watch.on('data', (m: health.HealthCheckResponse) => seen.push(m.status));
    watch.on('error', () => undefined);
    await waitUntil(() => seen.length === 1);
    service?.health.setStatus('svc', NOT_SERVING);
    await waitUntil(() => seen.length === 2);
    const ended = new Promise((resolve) => watch.on('status', resolve));
    await service?.close();
    service = undefined;
    await expect(ended).resolves.toMatchObject({ code: status.UNAVAILABLE });
    expect(seen).toEqual([SERVING, NOT_SERVING, NOT_SERVING]);
    client.close();
  });
});

describe('grpc-timeout and grpc-message helpers', () => {
  it.each([
    ['1S', 1000],
    ['20m', 20],
    ['1500u', 2],
    ['2M', 120_000],
    ['1H', 3_600_000],
    ['5n', 1],
    ['x', undefined],
    ['123456789S', undefined],
  ])('parses grpc-timeout %s as %s ms', (value, ms) => {
    expect(parseGrpcTimeout(value)).toBe(ms);
  });

  it('leaves printable ASCII alone and percent-encodes the rest and %', () => {
    expect(encodeGrpcMessage('plain text')).toBe('plain text');
    expect(encodeGrpcMessage('a%b\n')).toBe('a%25b%0A');
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
