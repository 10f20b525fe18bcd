import { extProc } from '@aigw/proto';
import { startGrpcService, type GrpcService, type Logger } from '@aigw/service-kit';
import { handleProcessStream } from './processor/pass-through.js';

/** Options of {@link startExtProcServer}. */
export interface ExtProcServerOptions {
  readonly address: string;
  readonly log: Logger;
}

const serviceName = 'envoy.service.ext_proc.v3.ExternalProcessor';

/**
 * Serves `envoy.service.ext_proc.v3.ExternalProcessor` (one bidi stream per HTTP request per
 * filter) and gRPC health on one server.
 */
export async function startExtProcServer(options: ExtProcServerOptions): Promise<GrpcService> {
  const { log } = options;
  return startGrpcService({
    address: options.address,
    log,
    healthServices: [serviceName],
    register: (server) => {
      server.addService(extProc.ExternalProcessorService, {
        process: (call) => {
          handleProcessStream(call, log);
        },
      } satisfies extProc.ExternalProcessorServer);
    },
  });
}
