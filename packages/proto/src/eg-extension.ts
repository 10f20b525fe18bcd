/**
 * Envoy Gateway extension server protocol (`envoygateway.extension.EnvoyGatewayExtension`,
 * `EnvoyGatewayExtensionService` for `grpc.Server#addService`) and its hook contexts. The Envoy
 * resources inside the requests are in `envoyConfig`.
 */
export * from './gen/proto/extension/service.js';
export * from './gen/proto/extension/context.js';
