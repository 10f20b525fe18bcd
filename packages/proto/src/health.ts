/**
 * The standard gRPC health checking protocol, `grpc.health.v1.Health` (`HealthService` for
 * `grpc.Server#addService`).
 */
export * from './gen/grpc/health/v1/health.js';
