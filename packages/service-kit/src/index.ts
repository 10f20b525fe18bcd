export * from './core.js';
export {
  bindGrpcServer,
  createGrpcServer,
  normalizeListenAddress,
  shutdownGrpcServer,
  type BoundAddress,
} from './grpc-server.js';
export { GrpcHealth } from './grpc-health.js';
export { registerHealthRoutes, type HttpHealthOptions } from './http-health.js';
export { startGrpcService, type GrpcService, type GrpcServiceOptions } from './grpc-service.js';
export { startHttpService, type HttpService, type HttpServiceOptions } from './http-service.js';
