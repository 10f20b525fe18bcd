export * from './core.js';
// grpc-js (about 11 MiB of a process's memory) loads only through '@aigw/service-kit/grpc-js'.
export { normalizeListenAddress, type BoundAddress } from './grpc-address.js';
export { GrpcHealth } from './grpc-health.js';
export {
  encodeGrpcMessage,
  grpcCode,
  GrpcStatusError,
  H2GrpcServer,
  isGrpcStatusLike,
  parseGrpcTimeout,
  type GrpcStatusLike,
  type H2BidiHandler,
  type H2CloseReason,
  type H2GrpcServerOptions,
  type H2MethodDefinition,
  type H2ServerCall,
  type H2ServerStreamHandler,
  type H2StreamHandlers,
  type H2UnaryHandler,
} from './h2-grpc.js';
export {
  startH2GrpcService,
  type H2GrpcService,
  type H2GrpcServiceOptions,
} from './h2-grpc-service.js';
export { registerHealthRoutes, type HttpHealthOptions } from './http-health.js';
export type { GrpcService } from './grpc-service.js';
export { startHttpService, type HttpService, type HttpServiceOptions } from './http-service.js';
