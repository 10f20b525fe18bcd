/**
 * A real extproc process (apps/extproc from src, through tsx) reading a Gateway's config bundle
 * through the API server as the proxies' ServiceAccount, and a gRPC client that drives it the way
 * Envoy does: a router-level stream (request headers, then the buffered body) and an
 * upstream-level stream per attempt. The minimum of apps/extproc/test/support/ext-proc-harness.ts
 * (an app's tests may not import another app's files).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  credentials,
  type ClientDuplexStream,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { extProc, health } from '@aigw/proto';
import { jsonLogLines, spawnManaged, type KubeApiServer, type ManagedProcess } from '@aigw/testkit';
import { stringify } from 'yaml';
import { repoPath } from './reconcile-kit.js';

/** The upstream filter's attribute naming the backend of an attempt (docs/protocols.md §2.3). */
const backendAttribute =
  "xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['per_route_rule_backend_name']";
const internalId = 'x-ai-eg-internal-req-id';
/** How long one response may take before the probe fails (a waitFor then retries). */
const responseTimeoutMs = 5_000;

type Call = ClientDuplexStream<extProc.ProcessingRequest, extProc.ProcessingResponse>;

/** One ext_proc stream seen from Envoy's side: send a message, await the one response. */
class ProcessStream {
  readonly #call: Call;
  readonly #received: extProc.ProcessingResponse[] = [];
  readonly #waiters: ((response: extProc.ProcessingResponse | Error) => void)[] = [];
  #closedBy: Error | undefined;
  readonly status: Promise<StatusObject>;

  constructor(call: Call) {
    this.#call = call;
    this.status = new Promise((resolve) => call.on('status', resolve));
    call.on('data', (response: extProc.ProcessingResponse) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(response);
      else this.#received.push(response);
    });
    call.on('error', (err: ServiceError) => {
      this.#close(err);
    });
    call.on('end', () => {
      this.#close(new Error('the server ended the stream'));
    });
  }

  async send(request: extProc.ProcessingRequest): Promise<extProc.ProcessingResponse> {
    this.#call.write(request);
    const response = this.#received.shift();
    if (response) return response;
    if (this.#closedBy) throw this.#closedBy;
    const next = await new Promise<extProc.ProcessingResponse | Error>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(new Error(`no ext_proc response within ${responseTimeoutMs} ms`));
      }, responseTimeoutMs);
      const waiter = (value: extProc.ProcessingResponse | Error): void => {
        clearTimeout(timer);
        resolve(value);
      };
      this.#waiters.push(waiter);
    });
    if (next instanceof Error) throw next;
    return next;
  }

  /** Half-closes and waits for the status (Envoy is done with the HTTP stream). */
  async end(): Promise<void> {
    this.#call.end();
    await this.status;
  }

  #close(err: Error): void {
    this.#closedBy ??= err;
    for (const waiter of this.#waiters.splice(0)) waiter(err);
  }
}

function headersRequest(
  headers: Readonly<Record<string, string>>,
  options: { endOfStream?: boolean; backend?: string } = {},
): extProc.ProcessingRequest {
  const map = {
    headers: Object.entries(headers).map(([key, value]) => ({
      key,
      value: '',
      rawValue: Buffer.from(value),
    })),
  };
  return extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestHeaders',
      value: { headers: map, endOfStream: options.endOfStream ?? false },
    },
    ...(options.backend === undefined
      ? {}
      : { attributes: { 'envoy.filters.http.ext_proc': { [backendAttribute]: options.backend } } }),
  });
}

function bodyRequest(body: object): extProc.ProcessingRequest {
  return extProc.ProcessingRequest.fromPartial({
    request: {
      $case: 'requestBody',
      value: { body: Buffer.from(JSON.stringify(body)), endOfStream: true },
    },
  });
}

/** The CommonResponse of a headers/body phase; an immediate response (an error) throws its body. */
function commonOf(
  response: extProc.ProcessingResponse,
  phase: 'requestHeaders' | 'requestBody',
): extProc.CommonResponse {
  const r = response.response;
  if (r?.$case !== phase) {
    const detail = r?.$case === 'immediateResponse' ? `: ${r.value.body.toString('utf8')}` : '';
    throw new Error(`expected a ${phase} response, got ${r?.$case ?? 'nothing'}${detail}`);
  }
  return r.value.response ?? extProc.CommonResponse.fromPartial({});
}

function setHeadersOf(common: extProc.CommonResponse): Record<string, string> {
  const set: Record<string, string> = {};
  for (const option of common.headerMutation?.setHeaders ?? []) {
    if (option.header) set[option.header.key] = option.header.rawValue.toString('utf8');
  }
  return set;
}

/** What the extproc made of one request at the upstream level (what Envoy sends upstream). */
export interface UpstreamRequest {
  /** The headers the upstream filter sets (`:path`, the credential, the backend's mutations). */
  readonly headers: Readonly<Record<string, string>>;
  /** The `model` of the body sent upstream (the client's unless replaced). */
  readonly model: string | undefined;
}

/** A running extproc process and a client on its socket. */
export interface ExtprocProcess {
  readonly proc: ManagedProcess;
  /**
   * Plays one chat completion for `model` through the router level, then one upstream attempt on
   * `backend` (the `<ns>/<AIServiceBackend>/route/<route>/rule/<i>/ref/<j>` name); throws when
   * the extproc answers with an error instead (e.g. a backend the config does not know).
   */
  request(model: string, backend: string): Promise<UpstreamRequest>;
  /** The model ids of `GET /v1/models` (answered by the router level from the config). */
  models(): Promise<string[]>;
  /** The gRPC health of the server (service ''). */
  health(): Promise<health.HealthCheckResponse_ServingStatus>;
  /** The JSON log lines whose `msg` starts with `msg`. */
  logLines(msg: string): Record<string, unknown>[];
  close(): void;
}

/** Options of {@link startExtprocProcess}. */
export interface ExtprocProcessOptions {
  /** A directory for the socket and the kubeconfig (short: a Unix socket path is limited). */
  readonly dir: string;
  readonly kube: KubeApiServer;
  /** The service-account token the extproc authenticates with. */
  readonly token: string;
  /** The bundle's index Secret and its namespace (the proxies'). */
  readonly indexName: string;
  readonly namespace: string;
}

const extprocDir = repoPath('apps/extproc');

/** Starts `apps/extproc/src/bin.ts --config-secret …` with a token-only kubeconfig. */
export async function startExtprocProcess(options: ExtprocProcessOptions): Promise<ExtprocProcess> {
  const { dir, kube } = options;
  const kubeconfig = join(dir, 'extproc-kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: {
            server: kube.url,
            'certificate-authority-data': Buffer.from(kube.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: 'extproc', user: { token: options.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'extproc' } }],
      'current-context': 'test',
    }),
    { mode: 0o600 },
  );
  const socket = join(dir, 'extproc.sock');
  const proc = await spawnManaged(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=@aigw/source',
      'src/bin.ts',
      `--address=unix:${socket}`,
      `--config-secret=${options.indexName}`,
      `--config-namespace=${options.namespace}`,
      `--kubeconfig=${kubeconfig}`,
      '--log-level=debug',
    ],
    { name: 'extproc', cwd: extprocDir, logLimit: 4_000_000 },
  );
  const client = new extProc.ExternalProcessorClient(
    `unix:${socket}`,
    credentials.createInsecure(),
  );
  const healthClient = new health.HealthClient(`unix:${socket}`, credentials.createInsecure());

  async function request(model: string, backend: string): Promise<UpstreamRequest> {
    const router = new ProcessStream(client.process());
    try {
      const started = await router.send(
        headersRequest({
          ':method': 'POST',
          ':path': '/v1/chat/completions',
          ':authority': 'gateway.test',
          ':scheme': 'http',
          'content-type': 'application/json',
        }),
      );
      const id = setHeadersOf(commonOf(started, 'requestHeaders'))[internalId];
      if (id === undefined) throw new Error(`the router set no ${internalId}`);
      commonOf(await router.send(bodyRequest({ model, messages: [] })), 'requestBody');
      const upstream = new ProcessStream(client.process());
      try {
        const attempt = await upstream.send(
          headersRequest({ ':path': '/v1/chat/completions', [internalId]: id }, { backend }),
        );
        const common = commonOf(attempt, 'requestHeaders');
        const body = common.bodyMutation?.mutation;
        const sent =
          body?.$case === 'body'
            ? (JSON.parse(body.value.toString('utf8')) as { model?: string })
            : { model };
        return { headers: setHeadersOf(common), model: sent.model };
      } finally {
        await upstream.end();
      }
    } finally {
      await router.end();
    }
  }

  async function models(): Promise<string[]> {
    const stream = new ProcessStream(client.process());
    try {
      const answer = await stream.send(
        headersRequest({ ':method': 'GET', ':path': '/v1/models' }, { endOfStream: true }),
      );
      if (answer.response?.$case !== 'immediateResponse') {
        throw new Error(`expected the model list, got ${answer.response?.$case ?? 'nothing'}`);
      }
      const list = JSON.parse(answer.response.value.body.toString('utf8')) as {
        data: { id: string }[];
      };
      return list.data.map((m) => m.id);
    } finally {
      await stream.end();
    }
  }

  return {
    proc,
    request,
    models,
    health: () =>
      new Promise((resolve, reject) => {
        healthClient.check({ service: '' }, (err, response) => {
          if (err) reject(err);
          else resolve(response.status);
        });
      }),
    logLines: (msg) => jsonLogLines(proc, msg),
    close: () => {
      client.close();
      healthClient.close();
    },
  };
}
