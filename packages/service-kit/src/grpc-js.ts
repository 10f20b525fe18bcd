/**
 * The grpc-js side of the kit, kept out of the main entry so that a process serving on the
 * `node:http2` server (`startH2GrpcService`) never loads grpc-js: import it as
 * `@aigw/service-kit/grpc-js`.
 */
export { bindGrpcServer, createGrpcServer, shutdownGrpcServer } from './grpc-server.js';
export {
  startGrpcService,
  type GrpcJsService,
  type GrpcService,
  type GrpcServiceOptions,
} from './grpc-service.js';
