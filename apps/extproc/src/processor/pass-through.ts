import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { extProc } from '@aigw/proto';
import type { Logger } from '@aigw/service-kit';

/** The header the extproc adds to every request it sees (proof the chain works). */
export const extProcHeader = 'x-aigw-extproc';

type ProcessStream = ServerDuplexStream<extProc.ProcessingRequest, extProc.ProcessingResponse>;

const headerValue = Buffer.from('aigw-ts');

/**
 * The processor of this first cut: it adds {@link extProcHeader} to the request headers and lets
 * every other phase continue untouched. Model routing and translation replace it in issue 2/7.
 */
export function respond(request: extProc.ProcessingRequest): extProc.ProcessingResponse | undefined {
  const phase = request.request;
  switch (phase?.$case) {
    case 'requestHeaders':
      return {
        response: {
          $case: 'requestHeaders',
          value: {
            response: {
              headerMutation: {
                setHeaders: [{ header: { key: extProcHeader, rawValue: headerValue } }],
              },
            },
          },
        },
      };
    case 'responseHeaders':
      return { response: { $case: 'responseHeaders', value: {} } };
    case 'requestBody':
      return { response: { $case: 'requestBody', value: {} } };
    case 'responseBody':
      return { response: { $case: 'responseBody', value: {} } };
    case 'requestTrailers':
      return { response: { $case: 'requestTrailers', value: {} } };
    case 'responseTrailers':
      return { response: { $case: 'responseTrailers', value: {} } };
    case undefined:
      return undefined;
  }
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
