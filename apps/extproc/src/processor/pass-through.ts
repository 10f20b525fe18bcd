import type { ServerDuplexStream } from '@grpc/grpc-js';
import { extProc } from '@aigw/proto';
import type { Logger } from '@aigw/service-kit';

/** The header the extproc adds to every request it sees (proof the chain works). */
export const extProcHeader = 'x-aigw-extproc';

type ProcessStream = ServerDuplexStream<extProc.ProcessingRequest, extProc.ProcessingResponse>;

const { ProcessingResponse } = extProc;

/** Responses that never change are built once: this runs for every request Envoy proxies. */
const continueResponses = {
  requestHeaders: ProcessingResponse.fromPartial({
    response: {
      $case: 'requestHeaders',
      value: {
        response: {
          headerMutation: {
            setHeaders: [{ header: { key: extProcHeader, rawValue: Buffer.from('aigw-ts') } }],
          },
        },
      },
    },
  }),
  responseHeaders: ProcessingResponse.fromPartial({
    response: { $case: 'responseHeaders', value: {} },
  }),
  requestBody: ProcessingResponse.fromPartial({ response: { $case: 'requestBody', value: {} } }),
  responseBody: ProcessingResponse.fromPartial({ response: { $case: 'responseBody', value: {} } }),
  requestTrailers: ProcessingResponse.fromPartial({
    response: { $case: 'requestTrailers', value: {} },
  }),
  responseTrailers: ProcessingResponse.fromPartial({
    response: { $case: 'responseTrailers', value: {} },
  }),
} as const;

/**
 * The processor of this first cut: it adds {@link extProcHeader} to the request headers and lets
 * every other phase continue untouched. Model routing and translation replace it in issue 2/7.
 * Returns undefined for a message without a phase (nothing to answer).
 */
export function respond(
  request: extProc.ProcessingRequest,
): extProc.ProcessingResponse | undefined {
  const phase = request.request?.$case;
  return phase === undefined ? undefined : continueResponses[phase];
}

/** Answers each message of one ext_proc stream until Envoy half-closes it. */
export function handleProcessStream(call: ProcessStream, log: Logger): void {
  call.on('data', (request: extProc.ProcessingRequest) => {
    const response = respond(request);
    if (response) call.write(response);
  });
  call.on('end', () => {
    call.end();
  });
  call.on('error', (err) => {
    log.debug({ err }, 'ext_proc stream error');
  });
}
