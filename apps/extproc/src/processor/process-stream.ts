import * as extProc from '@aigw/proto/ext-proc-service';
import type { Logger } from '@aigw/service-kit';
import type { EndpointMatcher } from '@aigw/translator';
import { toGrpcStatus, type GrpcStatus } from '../errors.js';
import type { RequestMetrics } from '../observability/observation.js';
import type { RuntimeConfig } from '../runtime/runtime-config.js';
import { constantResponse } from './messages.js';
import type { RequestContexts } from './request-context.js';
import { RouterProcessor } from './router-processor.js';
import { isUpstreamStream, UpstreamStream } from './upstream-processor.js';

/**
 * What every stream needs: the shared request contexts, the current config, a logger, and the
 * endpoint paths (default: upstream's prefixes).
 */
export interface StreamDeps {
  readonly contexts: RequestContexts;
  readonly runtime: () => RuntimeConfig;
  readonly log: Logger;
  readonly endpoints?: EndpointMatcher;
  readonly metrics?: RequestMetrics;
  /** The first-token gate's limit (docs/resilience.md); default 5 s. */
  readonly firstTokenTimeoutMs?: number;
}

// Trailers are never asked for, but answer them correctly if a filter config does.
const trailerResponses = {
  requestTrailers: constantResponse(
    extProc.ProcessingResponse.fromPartial({ response: { $case: 'requestTrailers', value: {} } }),
  ),
  responseTrailers: constantResponse(
    extProc.ProcessingResponse.fromPartial({ response: { $case: 'responseTrailers', value: {} } }),
  ),
} as const;

function routerResponse(
  router: RouterProcessor,
  request: extProc.ProcessingRequest,
): extProc.ProcessingResponse | undefined {
  const phase = request.request;
  switch (phase?.$case) {
    case 'requestHeaders':
      return router.requestHeaders(phase.value);
    case 'requestBody':
      return router.requestBody(phase.value);
    case 'responseHeaders':
      return router.responseHeaders(phase.value);
    case 'responseBody':
      return router.responseBody(phase.value);
    case 'requestTrailers':
      return trailerResponses.requestTrailers;
    case 'responseTrailers':
      return trailerResponses.responseTrailers;
    case undefined:
      return undefined;
  }
}

/**
 * The server side of one ext_proc stream, as the transport offers it (service-kit's lean
 * `node:http2` server): send a response, end the call with OK or a status.
 */
export interface ProcessCall {
  write(response: extProc.ProcessingResponse): unknown;
  end(status?: GrpcStatus): void;
}

/** What the transport tells the handler: each request, the client's half-close, the end. */
export interface ProcessStreamHandlers {
  onMessage(request: extProc.ProcessingRequest): void;
  onEnd(): void;
  onClose(): void;
}

/**
 * Serves one ext_proc stream (one per HTTP request per filter). The first message tells whether
 * it comes from the router-level or the upstream-level filter: only the upstream one is
 * configured with request attributes. Every exit path — end, cancel, error — releases the
 * request's state, so nothing outlives a client that went away.
 */
export function handleProcessStream(call: ProcessCall, deps: StreamDeps): ProcessStreamHandlers {
  let router: RouterProcessor | undefined;
  let upstream: UpstreamStream | undefined;
  let kind: 'router' | 'upstream' | undefined;
  const release = (): void => {
    router?.close();
    router = undefined;
    upstream?.close();
    upstream = undefined;
  };
  const fail = (err: unknown): void => {
    deps.log.error({ err, request: router?.context?.id }, 'ext_proc message failed');
    release();
    // A status ends the call now; a reset would leave Envoy waiting for its message timeout.
    call.end(toGrpcStatus(err));
  };
  return {
    onMessage: (request) => {
      kind ??= isUpstreamStream(request) ? 'upstream' : 'router';
      let response: extProc.ProcessingResponse | Promise<extProc.ProcessingResponse> | undefined;
      try {
        if (kind === 'upstream') {
          // Only the first-token gate writes later, from its timer or a later message.
          upstream ??= new UpstreamStream(deps, { write: (held) => call.write(held) });
          response = upstream.onMessage(request);
        } else {
          router ??= new RouterProcessor(deps);
          response = routerResponse(router, request);
        }
      } catch (err) {
        fail(err);
        return;
      }
      // Only SigV4 signing (upstream level, request headers: the stream's first message) is async.
      if (response instanceof Promise) {
        response.then((signed) => call.write(signed), fail);
      } else if (response) call.write(response);
    },
    onEnd: () => {
      release();
      call.end();
    },
    onClose: release,
  };
}
