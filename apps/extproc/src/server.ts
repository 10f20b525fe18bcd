import * as extProc from '@aigw/proto/ext-proc-service';
import { startH2GrpcService, type H2GrpcService, type Logger } from '@aigw/service-kit';
import type { EndpointMatcher } from '@aigw/translator';
import { decodeProcessingRequest } from './processor/decode.js';
import { serializeResponse } from './processor/messages.js';
import { handleProcessStream } from './processor/process-stream.js';
import { RequestContexts } from './processor/request-context.js';
import type { RequestMetrics } from './observability/observation.js';
import type { RuntimeConfig } from './runtime/runtime-config.js';

/** Options of {@link startExtProcServer}. */
export interface ExtProcServerOptions {
  readonly address: string;
  readonly log: Logger;
  /** The config in force; read once per request. */
  readonly runtime: () => RuntimeConfig;
  /** The endpoint paths (`--root-prefix`, `--endpoint-prefixes`); default upstream's. */
  readonly endpoints?: EndpointMatcher;
  /** Where finished requests are reported (the GenAI metrics of `--admin-port`); none by default. */
  readonly metrics?: RequestMetrics;
  /** The first-token gate's limit (`--first-token-timeout-ms`); default 5 s. */
  readonly firstTokenTimeoutMs?: number;
}

/** The running ext_proc server. */
export interface ExtProcServer extends H2GrpcService {
  /** In-flight requests (router-level streams not yet finished). */
  readonly inFlight: () => number;
}

const serviceName = 'envoy.service.ext_proc.v3.ExternalProcessor';

// The generated method, with a request decoder that reads the hot messages in place (decode.ts)
// and a response serializer that sends pre-encoded constants as they are and does not copy the
// encoder's output (messages.ts).
const processMethod = {
  ...extProc.ExternalProcessorService.process,
  requestDeserialize: decodeProcessingRequest,
  responseSerialize: serializeResponse,
};

/**
 * Serves `envoy.service.ext_proc.v3.ExternalProcessor` (one bidi stream per HTTP request per
 * filter) and gRPC health on one server: service-kit's lean gRPC server on `node:http2`, not
 * grpc-js, whose per-call machinery was half of the extproc's CPU (docs/performance.md).
 */
export async function startExtProcServer(options: ExtProcServerOptions): Promise<ExtProcServer> {
  const contexts = new RequestContexts();
  const deps = {
    contexts,
    runtime: options.runtime,
    log: options.log,
    ...(options.endpoints === undefined ? {} : { endpoints: options.endpoints }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.firstTokenTimeoutMs === undefined
      ? {}
      : { firstTokenTimeoutMs: options.firstTokenTimeoutMs }),
  };
  const service = await startH2GrpcService({
    address: options.address,
    log: options.log,
    healthServices: [serviceName],
    register: (server) => {
      server.addStreaming(processMethod, (call) => handleProcessStream(call, deps));
    },
  });
  return { ...service, inFlight: () => contexts.size };
}
