import { rm } from 'node:fs/promises';
import {
  constants,
  createServer,
  type Http2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { normalizeListenAddress, type BoundAddress } from './grpc-address.js';

/**
 * gRPC status codes (the same numbers as grpc-js' `status` enum; this module does not load
 * grpc-js at run time).
 */
export const grpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** A gRPC status to end a call with: the code and a text (`grpc-message`). */
export interface GrpcStatusLike {
  readonly code: number;
  readonly details?: string;
}

/** A status a handler throws to end its call with that code (any other error ends INTERNAL). */
export class GrpcStatusError extends Error implements GrpcStatusLike {
  override readonly name = 'GrpcStatusError';
  readonly code: number;
  readonly details: string;

  constructor(code: number, details: string, options?: ErrorOptions) {
    super(details, options);
    this.code = code;
    this.details = details;
  }
}

/** Structural guard for a thrown `{ code, details }` status (grpc-js' `callback(status)` shape). */
export function isGrpcStatusLike(value: unknown): value is GrpcStatusLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    ['string', 'undefined'].includes(typeof (value as { details?: unknown }).details)
  );
}

/**
 * One method as ts-proto's grpc-js service definitions describe it (`XService.method`): only the
 * path, the streaming flags and the codecs are used, so any generated definition fits.
 */
export interface H2MethodDefinition<Req, Res> {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly requestDeserialize: (bytes: Buffer) => Req;
  readonly responseSerialize: (message: Res) => Uint8Array;
}

/** Why a call ended: by its handler, by the client (RST_STREAM), its deadline, or a shutdown. */
export type H2CloseReason = 'finished' | 'cancelled' | 'deadline' | 'shutdown';

/** The server side of one call, as a handler sees it. */
export interface H2ServerCall<Res> {
  /** The request headers (custom metadata among them). */
  readonly headers: IncomingHttpHeaders;
  /** Aborted when the call ends for any reason but the handler's own `end()`. */
  readonly signal: AbortSignal;
  /** Sends one message; `false` when the stream's buffer is full (wait for `drained()`). */
  write(message: Res): boolean;
  /** Resolves once the buffered output was flushed to HTTP/2 flow control (or the call ended). */
  drained(): Promise<void>;
  /** Ends the call with a status (OK when omitted); later calls are ignored. */
  end(status?: GrpcStatusLike): void;
  /** Whether the call is over (ended, cancelled, timed out). */
  readonly isEnded: boolean;
}

/** What a streaming-request handler is told about the client's side of the call. */
export interface H2StreamHandlers<Req> {
  /** One request message. */
  onMessage(message: Req): void;
  /** The client half-closed (sent every message). */
  onEnd?(): void;
  /** The call is over, exactly once, whatever ended it. */
  onClose?(reason: H2CloseReason): void;
}

/** A bidi (or client-streaming) handler: given the call, returns its message handlers. */
export type H2BidiHandler<Req, Res> = (call: H2ServerCall<Res>) => H2StreamHandlers<Req>;
/** A unary handler: resolves the response, or throws a {@link GrpcStatusLike} (else INTERNAL). */
export type H2UnaryHandler<Req, Res> = (
  request: Req,
  call: Pick<H2ServerCall<Res>, 'headers' | 'signal'>,
) => Res | Promise<Res>;
/** A server-streaming handler: writes messages, then ends the call. */
export type H2ServerStreamHandler<Req, Res> = (request: Req, call: H2ServerCall<Res>) => void;

/** Options of {@link H2GrpcServer}. */
export interface H2GrpcServerOptions {
  /** Largest request message accepted (RESOURCE_EXHAUSTED beyond); default 64 MiB. */
  readonly maxReceiveMessageLength?: number;
  /** Told about a handler that threw (the call then ends INTERNAL). */
  readonly onHandlerError?: (err: unknown, path: string) => void;
}

type AnyMethod = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

const grpcContentType = 'application/grpc';
const responseHeaders = { ':status': 200, 'content-type': grpcContentType };
const noMessage = Symbol('noMessage');
const emptyMessage = Buffer.alloc(0);
const okTrailers = { 'grpc-status': '0' } as const;

/**
 * A gRPC server directly on `node:http2`: length-prefixed messages with the generated codecs,
 * `grpc-status` trailers, deadlines, cancellation, and a graceful close. It has none of grpc-js'
 * per-call interceptor chain, metadata objects and extra stream objects, which were half of the
 * extproc's CPU (docs/performance.md). Identity encoding only; no TLS (Unix sockets and
 * cluster-internal ports).
 */
export class H2GrpcServer {
  readonly #methods = new Map<string, AnyMethod>();
  readonly #sessions = new Set<Http2Session>();
  readonly #calls = new Set<Call<unknown, unknown>>();
  readonly #maxReceive: number;
  readonly #onHandlerError: ((err: unknown, path: string) => void) | undefined;
  readonly #server: Http2Server;
  #closing = false;

  constructor(options: H2GrpcServerOptions = {}) {
    this.#maxReceive = options.maxReceiveMessageLength ?? 64 * 1024 * 1024;
    this.#onHandlerError = options.onHandlerError;
    // grpc-js' default too: nghttp2's 10 MB session memory cap would reset large bodies.
    this.#server = createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER });
    this.#server.on('session', (session) => {
      this.#sessions.add(session);
      session.on('close', () => this.#sessions.delete(session));
      session.on('error', () => undefined); // the session closes; its streams see 'close'
      if (this.#closing) session.close();
    });
    this.#server.on('stream', (stream, headers) => {
      this.#onStream(stream, headers);
    });
  }

  /** Serves a bidi or client-streaming method. */
  addStreaming<Req, Res>(
    method: H2MethodDefinition<Req, Res>,
    handler: H2BidiHandler<Req, Res>,
  ): void {
    this.#add(method, (call) => handler(call));
  }

  /** Serves a unary method. */
  addUnary<Req, Res>(
    method: H2MethodDefinition<Req, Res>,
    handler: H2UnaryHandler<Req, Res>,
  ): void {
    this.#add(method, (call) => {
      let request: Req | typeof noMessage = noMessage;
      return {
        onMessage: (message) => {
          if (request === noMessage) request = message;
          else call.end({ code: grpcCode.UNIMPLEMENTED, details: 'expected one request message' });
        },
        onEnd: () => {
          if (request === noMessage) {
            call.end({ code: grpcCode.UNIMPLEMENTED, details: 'expected one request message' });
            return;
          }
          this.#answerUnary(call, () => handler(request as Req, call), method.path);
        },
      };
    });
  }

  /** Serves a server-streaming method: the handler runs once the request has arrived. */
  addServerStreaming<Req, Res>(
    method: H2MethodDefinition<Req, Res>,
    handler: H2ServerStreamHandler<Req, Res>,
  ): void {
    this.#add(method, (call) => ({
      onMessage: (message) => {
        handler(message, call);
      },
    }));
  }

  /**
   * Listens on `unix:/path` (a stale socket file is removed first) or `host:port` / `:port`
   * (port 0: any free port), as the gRPC listen config spells it.
   */
  async listen(address: string): Promise<BoundAddress> {
    const normalized = normalizeListenAddress(address);
    const server = this.#server;
    const listening = (options: { path: string } | { port: number; host: string }): Promise<void> =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(options, () => {
          server.off('error', reject);
          resolve();
        });
      });
    if (normalized.startsWith('unix:')) {
      const path = normalized.slice('unix:'.length);
      await rm(path, { force: true });
      await listening({ path });
      return { address: normalized, port: 0 };
    }
    const colon = normalized.lastIndexOf(':');
    const host = normalized.slice(0, colon);
    await listening({
      port: Number(normalized.slice(colon + 1)),
      host: host.replace(/^\[(.*)\]$/, '$1'),
    });
    const port = (server.address() as AddressInfo).port;
    return { address: `${host}:${String(port)}`, port };
  }

  /** Calls in progress. */
  get activeCalls(): number {
    return this.#calls.size;
  }

  /**
   * Graceful stop: no new connections, GOAWAY on every connection (no new streams), in-flight calls
   * may finish for up to `timeoutMs`; what is still running then is cancelled (`shutdown`).
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    const stopped = new Promise<void>((resolve) => {
      this.#server.close(() => {
        resolve();
      });
    });
    for (const session of this.#sessions) session.close();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => {
        resolve('expired');
      }, timeoutMs);
    });
    const result = await Promise.race([stopped, expired]);
    clearTimeout(timer);
    if (result !== 'expired') return;
    for (const call of this.#calls) call.abandon('shutdown');
    for (const session of this.#sessions) session.destroy();
    await stopped;
  }

  #add<Req, Res>(
    method: H2MethodDefinition<Req, Res>,
    start: (call: Call<Req, Res>) => H2StreamHandlers<Req>,
  ): void {
    this.#methods.set(method.path, (stream, headers) => {
      const call = new Call<Req, Res>({ stream, headers, method, calls: this.#calls });
      try {
        call.attach(start(call), this.#maxReceive);
      } catch (err) {
        this.#onHandlerError?.(err, method.path);
        call.end({ code: grpcCode.INTERNAL, details: 'handler failed' });
      }
    });
  }

  #answerUnary<Req, Res>(call: Call<Req, Res>, run: () => Res | Promise<Res>, path: string): void {
    const fail = (err: unknown): void => {
      if (isGrpcStatusLike(err)) {
        call.end(err);
        return;
      }
      this.#onHandlerError?.(err, path);
      call.end({ code: grpcCode.INTERNAL, details: 'handler failed' });
    };
    try {
      const result = run();
      if (result instanceof Promise) {
        result.then((response) => {
          call.write(response);
          call.end();
        }, fail);
      } else {
        call.write(result);
        call.end();
      }
    } catch (err) {
      fail(err);
    }
  }

  #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    stream.on('error', () => undefined); // a reset stream; 'close' follows
    const start = this.#methods.get(headers[':path'] ?? '');
    const contentType = headers['content-type'];
    if (contentType === undefined || !contentType.startsWith(grpcContentType)) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    if (!start) {
      respondTrailersOnly(stream, {
        code: grpcCode.UNIMPLEMENTED,
        details: `unknown method ${headers[':path'] ?? ''}`,
      });
      return;
    }
    const encoding = headers['grpc-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      respondTrailersOnly(stream, {
        code: grpcCode.UNIMPLEMENTED,
        details: `grpc-encoding ${String(encoding)} is not supported`,
      });
      return;
    }
    start(stream, headers);
  }
}

interface CallInit<Req, Res> {
  readonly stream: ServerHttp2Stream;
  readonly headers: IncomingHttpHeaders;
  readonly method: H2MethodDefinition<Req, Res>;
  readonly calls: Set<Call<unknown, unknown>>;
}

/** One call: reads length-prefixed frames, writes them, ends with trailers. */
class Call<Req, Res> implements H2ServerCall<Res> {
  readonly headers: IncomingHttpHeaders;
  readonly #stream: ServerHttp2Stream;
  readonly #method: H2MethodDefinition<Req, Res>;
  readonly #calls: Set<Call<unknown, unknown>>;
  #handlers: H2StreamHandlers<Req> | undefined;
  #abort: AbortController | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #maxReceive = 0;
  #isHeadersSent = false;
  #ended = false;
  #closeReason: H2CloseReason | undefined;
  #trailers: Readonly<Record<string, string>> = okTrailers;
  // Unparsed input: chunks as received, and the length of the message being read (-1: header).
  readonly #chunks: Buffer[] = [];
  #buffered = 0;
  #need = -1;

  constructor(init: CallInit<Req, Res>) {
    this.#stream = init.stream;
    this.headers = init.headers;
    this.#method = init.method;
    this.#calls = init.calls;
  }

  get signal(): AbortSignal {
    this.#abort ??= new AbortController();
    if (this.#closeReason !== undefined && this.#closeReason !== 'finished') this.#abort.abort();
    return this.#abort.signal;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  attach(handlers: H2StreamHandlers<Req>, maxReceive: number): void {
    this.#handlers = handlers;
    this.#maxReceive = maxReceive;
    if (this.#ended) return; // the handler ended the call at once
    this.#calls.add(this as Call<unknown, unknown>);
    const stream = this.#stream;
    stream.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    stream.on('end', () => {
      if (this.#ended) return;
      if (this.#buffered > 0 || this.#need >= 0) {
        this.end({ code: grpcCode.INTERNAL, details: 'incomplete message at end of stream' });
        return;
      }
      this.#guard(() => this.#handlers?.onEnd?.());
    });
    stream.on('close', () => {
      this.abandon('cancelled');
    });
    const timeout = parseGrpcTimeout(this.headers['grpc-timeout']);
    if (timeout !== undefined) {
      this.#deadline = setTimeout(() => {
        this.#close('deadline');
        this.end({ code: grpcCode.DEADLINE_EXCEEDED, details: 'deadline exceeded' });
      }, timeout);
    }
  }

  write(message: Res): boolean {
    // A reset stream is closed before its 'close' event: an async handler may still answer.
    if (this.#ended || this.#stream.destroyed || this.#stream.closed) return false;
    const payload = this.#method.responseSerialize(message);
    const frame = Buffer.allocUnsafe(5 + payload.length);
    frame[0] = 0;
    frame.writeUInt32BE(payload.length, 1);
    frame.set(payload, 5);
    this.#sendHeaders();
    return this.#stream.write(frame);
  }

  drained(): Promise<void> {
    const stream = this.#stream;
    if (this.#ended || !stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
  }

  end(status: GrpcStatusLike = { code: grpcCode.OK }): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#deadline);
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) {
      this.#close('cancelled');
      return;
    }
    if (!this.#isHeadersSent) {
      this.#isHeadersSent = true;
      respondTrailersOnly(stream, status);
      this.#close('finished');
      return;
    }
    // Sent on 'wantTrailers', once the data before them is out.
    if (status.code !== grpcCode.OK || status.details) {
      const trailers: Record<string, string> = { 'grpc-status': String(status.code) };
      if (status.details) trailers['grpc-message'] = encodeGrpcMessage(status.details);
      this.#trailers = trailers;
    }
    stream.end();
  }

  /** The stream is gone (reset, closed, shutdown): the handler hears about it once. */
  abandon(reason: H2CloseReason): void {
    if (!this.#ended) {
      this.#ended = true;
      clearTimeout(this.#deadline);
      if (reason === 'shutdown') this.#stream.close(constants.NGHTTP2_CANCEL);
    }
    this.#close(reason);
  }

  // The first reason wins; the handler hears it once.
  #close(reason: H2CloseReason): void {
    if (this.#handlers === undefined || this.#closeReason !== undefined) return;
    this.#closeReason = reason;
    this.#calls.delete(this as Call<unknown, unknown>);
    if (reason !== 'finished') this.#abort?.abort();
    const handlers = this.#handlers;
    this.#guard(() => handlers.onClose?.(reason));
  }

  #sendHeaders(): void {
    if (this.#isHeadersSent) return;
    this.#isHeadersSent = true;
    const stream = this.#stream;
    stream.respond(responseHeaders, { waitForTrailers: true });
    stream.once('wantTrailers', () => {
      stream.sendTrailers(this.#trailers);
      // Trailers go out on the session's next write; a reset submitted now would overtake them.
      if (!stream.readableEnded) setImmediate(stopReading, stream);
      this.#close('finished');
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#ended) return;
    const rest = this.#buffered === 0 ? this.#readWhole(chunk) : 0;
    if (rest === chunk.length) return;
    this.#chunks.push(rest === 0 ? chunk : chunk.subarray(rest));
    this.#buffered += chunk.length - rest;
    // A handler may end the call from onMessage: stop reading then.
    while (!this.isEnded) {
      if (this.#need < 0) {
        if (this.#buffered < 5) return;
        const head = this.#take(5);
        if (!this.#readHeader(head)) return;
      }
      if (this.#buffered < this.#need) return;
      const body = this.#take(this.#need);
      this.#need = -1;
      this.#deliver(body);
    }
  }

  // The usual case, nothing pending: the messages the chunk holds whole, read in place. Returns
  // how far it read; the remainder goes through the chunk list.
  #readWhole(chunk: Buffer): number {
    let at = 0;
    while (!this.isEnded && chunk.length - at >= 5) {
      const length = chunk.readUInt32BE(at + 1);
      if (chunk.length - at - 5 < length) break;
      if (!this.#readHeader(chunk, at)) return chunk.length;
      this.#need = -1;
      this.#deliver(chunk.subarray(at + 5, at + 5 + length));
      at += 5 + length;
    }
    return this.isEnded ? chunk.length : at;
  }

  #readHeader(head: Buffer, at = 0): boolean {
    if (head[at] !== 0) {
      this.end({ code: grpcCode.UNIMPLEMENTED, details: 'compressed messages are not supported' });
      return false;
    }
    const length = head.readUInt32BE(at + 1);
    if (length > this.#maxReceive) {
      this.end({
        code: grpcCode.RESOURCE_EXHAUSTED,
        details: `message of ${String(length)} bytes exceeds ${String(this.#maxReceive)}`,
      });
      return false;
    }
    this.#need = length;
    return true;
  }

  #deliver(body: Buffer): void {
    let message: Req;
    try {
      message = this.#method.requestDeserialize(body);
    } catch {
      this.end({ code: grpcCode.INTERNAL, details: 'request message does not parse' });
      return;
    }
    this.#guard(() => {
      this.#handlers?.onMessage(message);
    });
  }

  // Takes n bytes off the front: a view when one chunk holds them (the usual case), else a copy.
  #take(n: number): Buffer {
    if (n === 0) return emptyMessage; // a message with every field at its default
    this.#buffered -= n;
    const first = this.#chunks[0] as Buffer;
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let offset = 0;
    while (offset < n) {
      const chunk = this.#chunks[0] as Buffer;
      const count = Math.min(chunk.length, n - offset);
      chunk.copy(out, offset, 0, count);
      offset += count;
      if (count === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(count);
    }
    return out;
  }

  #guard(run: () => void): void {
    try {
      run();
    } catch {
      this.end({ code: grpcCode.INTERNAL, details: 'handler failed' });
    }
  }
}

function respondTrailersOnly(stream: ServerHttp2Stream, status: GrpcStatusLike): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const headers: Record<string, string | number> = {
    ...responseHeaders,
    'grpc-status': String(status.code),
  };
  if (status.details) headers['grpc-message'] = encodeGrpcMessage(status.details);
  stream.respond(headers, { endStream: true });
  stopReading(stream);
}

// The response is complete while the client may still be sending: ask it to stop without an
// error (RFC 9113 §8.1, as grpc-go does), or the stream would stay half-open until it finishes.
function stopReading(stream: ServerHttp2Stream): void {
  if (!stream.readableEnded && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
}

const timeoutUnits: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/** `grpc-timeout` (`<1–8 digits><H|M|S|m|u|n>`) in milliseconds; undefined when absent or bad. */
export function parseGrpcTimeout(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * (timeoutUnits[match[2] ?? ''] ?? 0);
  // setTimeout caps at 2^31-1 ms (~24.8 days); longer deadlines are effectively none.
  return ms > 2_147_483_647 ? undefined : Math.ceil(ms);
}

const plainMessage = /^[\x20-\x24\x26-\x7e]*$/;

/** Percent-encodes a `grpc-message` value (UTF-8; bytes outside 0x20–0x7E and `%`). */
export function encodeGrpcMessage(message: string): string {
  if (plainMessage.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
