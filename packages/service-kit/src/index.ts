export { ConfigError, isConfigError, formatIssues } from './config-error.js';
export {
  loadConfig,
  type ConfigKey,
  type LoadConfigOptions,
  type LoadedConfig,
} from './load-config.js';
export { createLogger, redactedPaths, type Logger, type LoggerOptions } from './logger.js';
export {
  listenAddressSchema,
  logFormatSchema,
  logLevelSchema,
  millisecondsSchema,
  parsedString,
  portOrZeroSchema,
  portSchema,
} from './schemas.js';
export {
  bindGrpcServer,
  createGrpcServer,
  normalizeListenAddress,
  shutdownGrpcServer,
  type BoundAddress,
} from './grpc-server.js';
export { GrpcHealth } from './grpc-health.js';
export {
  runService,
  type MainArgs,
  type Service,
  type ServiceMain,
  type RunServiceOptions,
} from './run-service.js';
export { registerHealthRoutes, type HttpHealthOptions } from './http-health.js';
export { commonConfigKeys, commonConfigShape } from './common-config.js';
export { startGrpcService, type GrpcService, type GrpcServiceOptions } from './grpc-service.js';
export { startHttpService, type HttpService, type HttpServiceOptions } from './http-service.js';
export {
  configLoader,
  grpcListenConfig,
  httpListenConfig,
  type ConfigFragment,
  type Env,
  type GrpcListenConfig,
  type HttpListenConfig,
} from './listen-config.js';
