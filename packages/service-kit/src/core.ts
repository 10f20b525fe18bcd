/**
 * What a service needs without a gRPC or HTTP server: configuration, logging, `runService`. Importing
 * this subpath instead of the package root keeps `@grpc/grpc-js` and the protobuf runtime out of a
 * process that serves neither (the controller: ~10 MiB less RSS).
 */
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
  runService,
  type MainArgs,
  type Service,
  type ServiceMain,
  type RunServiceOptions,
} from './run-service.js';
export { commonConfigKeys, commonConfigShape } from './common-config.js';
export {
  configLoader,
  grpcListenConfig,
  httpListenConfig,
  type ConfigFragment,
  type Env,
  type GrpcListenConfig,
  type HttpListenConfig,
} from './listen-config.js';
export {
  startProbeServer,
  type MetricsText,
  type ProbeServer,
  type ProbeServerOptions,
} from './probe-server.js';
