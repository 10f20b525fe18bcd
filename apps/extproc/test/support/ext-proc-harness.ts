/**
 * Drives the extproc in process the way Envoy does: a real grpc-js client on a Unix socket, one
 * bidi stream per HTTP request per filter, messages shaped like Envoy's (lower-case header keys,
 * values in `raw_value`, upstream attributes under `envoy.filters.http.ext_proc`).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  credentials,
  type ClientDuplexStream,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { pino } from 'pino';
import type { FilterConfigInput } from '@aigw/filterapi';
import { extProc } from '@aigw/proto';
import { removeTempDir, tempDir } from '@aigw/testkit';
import { ConfigWatcher, startExtProcServer, type ExtProcServer } from '../../src/main.js';
import type { RequestMetrics } from '../../src/observability/observation.js';
import type { RuntimeConfig } from '../../src/runtime/runtime-config.js';

/** The attribute path the upstream filter is configured with (protocols.md §2.3). */
export const backendAttribute =
  "xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['per_route_rule_backend_name']";

/** How long a test waits for one response before failing with a clear message. */
const responseTimeoutMs = 5_000;

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** The filter config, given the temp dir (for credential file paths). */
  readonly config: (dir: string) => FilterConfigInput;
  /** Files to create in the temp dir first (name → content), e.g. API keys. */
  readonly files?: Readonly<Record<string, string>>;
  /** Wraps the config getter handed to the server (to inject failures). */
  readonly wrapRuntime?: (current: () => RuntimeConfig) => () => RuntimeConfig;
  /** Where the server reports finished requests (the GenAI metrics). */
  readonly metrics?: RequestMetrics;
}

/** A running extproc with its config watcher, a client, and the log lines it wrote. */
export interface TestServer {
  readonly server: ExtProcServer;
  readonly watcher: ConfigWatcher;
  readonly dir: string;
  /** Every log line so far (JSON text). */
  logs(): string;
  /** Opens a new ext_proc stream (one HTTP request at one filter). */
  open(): ProcessStream;
  stop(): Promise<void>;
}

/** Starts the extproc on a Unix socket in a fresh temp dir, as main() does. */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const dir = tempDir('extproc');
  for (const [name, content] of Object.entries(options.files ?? {})) {
    writeFileSync(join(dir, name), content);
  }
  const configPath = join(dir, 'filter-config.json');
  writeFileSync(`${configPath}.tmp`, JSON.stringify(options.config(dir)));
  renameSync(`${configPath}.tmp`, configPath);
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const watcher = new ConfigWatcher({ path: configPath, log, intervalMs: 60_000 });
  await watcher.start();
  const current = (): RuntimeConfig => watcher.current;
  const server = await startExtProcServer({
    address: `unix:${join(dir, 'extproc.sock')}`,
    log,
    runtime: options.wrapRuntime ? options.wrapRuntime(current) : current,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  const client = new extProc.ExternalProcessorClient(
    server.bound.address,
    credentials.createInsecure(),
  );
  const streams: ProcessStream[] = [];
  return {
    server,
    watcher,
    dir,
    logs: () => chunks.join(''),
    open: () => {
      const stream = new ProcessStream(client.process());
      streams.push(stream);
      return stream;
    },
    stop: async () => {
      for (const stream of streams) stream.cancel();
      client.close();
      watcher.close();
      await server.close();
      await removeTempDir(dir);
    },
  };
}

type Call = ClientDuplexStream<extProc.ProcessingRequest, extProc.ProcessingResponse>;

interface Waiter {
  resolve(response: extProc.ProcessingResponse): void;
  reject(err: Error): void;
}

/** One ext_proc stream seen from Envoy's side: send a message, await the one response. */
export class ProcessStream {
  readonly #call: Call;
  readonly #received: extProc.ProcessingResponse[] = [];
  readonly #waiters: Waiter[] = [];
  #closedBy: Error | undefined;
  /** Resolves with the gRPC status once the stream is over (OK, or the error). */
  readonly status: Promise<StatusObject>;

  constructor(call: Call) {
    this.#call = call;
    this.status = new Promise((resolve) => call.on('status', resolve));
    call.on('data', (response: extProc.ProcessingResponse) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(response);
      else this.#received.push(response);
    });
    call.on('error', (err: ServiceError) => {
      this.#close(err);
    });
    call.on('end', () => {
      this.#close(new Error('the server ended the stream'));
    });
  }

  /** Sends one message and resolves with the response to it. */
  async send(request: extProc.ProcessingRequest): Promise<extProc.ProcessingResponse> {
    this.#call.write(request);
    return this.next();
  }

  /** The next response (or the error that ended the stream). */
  next(): Promise<extProc.ProcessingResponse> {
    const response = this.#received.shift();
    if (response) return Promise.resolve(response);
    if (this.#closedBy) return Promise.reject(this.#closedBy);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no ext_proc response within ${String(responseTimeoutMs)} ms`));
      }, responseTimeoutMs);
      const waiter: Waiter = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.push(waiter);
    });
  }

  /** Half-closes (Envoy is done with the HTTP stream). */
  end(): void {
    this.#call.end();
  }

  /** Cancels the stream (Envoy reset it: the client went away). */
  cancel(): void {
    this.#call.cancel();
  }

  #close(err: Error): void {
    this.#closedBy ??= err;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(err);
  }
}

/** An Envoy header map: lower-case keys, values in `raw_value`. */
function headerMap(headers: Readonly<Record<string, string>>): extProc.HttpHeaders['headers'] {
  return {
    headers: Object.entries(headers).map(([key, value]) => ({
      key: key.toLowerCase(),
      value: '',
      rawValue: Buffer.from(value),
    })),
  };
}

/** Bytes as they are, text as UTF-8, anything else as JSON. */
type Body = string | Uint8Array | object;

function bytes(body: Body): Buffer {
  if (body instanceof Uint8Array) return Buffer.from(body);
  return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Builders of the ProcessingRequests Envoy sends. */
export const envoy = {
  requestHeaders(
    headers: Readonly<Record<string, string>>,
    endOfStream = false,
  ): extProc.ProcessingRequest {
    const value = { headers: headerMap(headers), endOfStream };
    return extProc.ProcessingRequest.fromPartial({ request: { $case: 'requestHeaders', value } });
  },
  /** A request `:path` with the headers a client typically sends. */
  post(path: string, extra: Readonly<Record<string, string>> = {}): extProc.ProcessingRequest {
    return envoy.requestHeaders({
      ':method': 'POST',
      ':path': path,
      ':authority': 'gateway.test',
      ':scheme': 'http',
      'content-type': 'application/json',
      ...extra,
    });
  },
  requestBody(body: Body, endOfStream = true): extProc.ProcessingRequest {
    const value = { body: bytes(body), endOfStream };
    return extProc.ProcessingRequest.fromPartial({ request: { $case: 'requestBody', value } });
  },
  responseHeaders(
    headers: Readonly<Record<string, string>>,
    endOfStream = false,
  ): extProc.ProcessingRequest {
    const value = { headers: headerMap(headers), endOfStream };
    return extProc.ProcessingRequest.fromPartial({ request: { $case: 'responseHeaders', value } });
  },
  responseBody(chunk: Body, endOfStream: boolean): extProc.ProcessingRequest {
    const value = { body: bytes(chunk), endOfStream };
    return extProc.ProcessingRequest.fromPartial({ request: { $case: 'responseBody', value } });
  },
  /**
   * The upstream-level filter's request headers: the router's request id header, the backend
   * name attribute (omitted when `backend` is undefined), any client headers and other
   * attributes (e.g. the endpoint host name).
   */
  upstreamHeaders(
    headers: Readonly<Record<string, string>>,
    backend: string | undefined,
    attributes: Readonly<Record<string, string>> = {},
  ): extProc.ProcessingRequest {
    return extProc.ProcessingRequest.fromPartial({
      request: { $case: 'requestHeaders', value: { headers: headerMap(headers) } },
      attributes: {
        'envoy.filters.http.ext_proc': {
          ...(backend === undefined ? {} : { [backendAttribute]: backend }),
          ...attributes,
        },
      },
    });
  },
};

type Phase = 'requestHeaders' | 'requestBody' | 'responseHeaders' | 'responseBody';

/** The CommonResponse of a headers/body response, failing clearly on any other kind. */
export function commonOf(
  response: extProc.ProcessingResponse,
  phase: Phase,
): extProc.CommonResponse {
  const r = response.response;
  if (r?.$case !== phase) {
    const detail = r?.$case === 'immediateResponse' ? `: ${r.value.body.toString('utf8')}` : '';
    throw new Error(`expected a ${phase} response, got ${r?.$case ?? 'nothing'}${detail}`);
  }
  return r.value.response ?? extProc.CommonResponse.fromPartial({});
}

/** The ImmediateResponse, failing clearly on any other kind. */
export function immediateOf(response: extProc.ProcessingResponse): extProc.ImmediateResponse {
  const r = response.response;
  if (r?.$case !== 'immediateResponse') {
    throw new Error(`expected an immediate response, got ${r?.$case ?? 'nothing'}`);
  }
  return r.value;
}

/** The headers a mutation sets, as name → value. */
export function setHeadersOf(mutation: extProc.HeaderMutation | undefined): Record<string, string> {
  const set: Record<string, string> = {};
  for (const option of mutation?.setHeaders ?? []) {
    if (option.header) set[option.header.key] = option.header.rawValue.toString('utf8');
  }
  return set;
}

/** The replacement body of a CommonResponse as text, or undefined when there is none. */
export function bodyOf(common: extProc.CommonResponse): string | undefined {
  const mutation = common.bodyMutation?.mutation;
  return mutation?.$case === 'body' ? mutation.value.toString('utf8') : undefined;
}

/** The request id the router level handed out (from its request_headers response). */
export function requestIdOf(response: extProc.ProcessingResponse): string {
  const id = setHeadersOf(commonOf(response, 'requestHeaders').headerMutation)[
    'x-ai-eg-internal-req-id'
  ];
  if (id === undefined) throw new Error('the router set no x-ai-eg-internal-req-id');
  return id;
}
