import { Server } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';

import { egExtension, extProc, health, ratelimit } from './index.js';

describe('grpc-js service definitions', () => {
  it('ext_proc: /envoy.service.ext_proc.v3.ExternalProcessor/Process is a bidi stream', () => {
    const { process } = extProc.ExternalProcessorService;
    expect(process.path).toBe('/envoy.service.ext_proc.v3.ExternalProcessor/Process');
    expect(process.requestStream).toBe(true);
    expect(process.responseStream).toBe(true);
  });

  it('rate limit: /envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit is unary', () => {
    const { shouldRateLimit } = ratelimit.RateLimitServiceService;
    expect(shouldRateLimit.path).toBe('/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit');
    expect(shouldRateLimit.requestStream).toBe(false);
    expect(shouldRateLimit.responseStream).toBe(false);
  });

  it('health: /grpc.health.v1.Health/Check (unary) and /Watch (server stream)', () => {
    expect(health.HealthService.check.path).toBe('/grpc.health.v1.Health/Check');
    expect(health.HealthService.check.responseStream).toBe(false);
    expect(health.HealthService.watch.path).toBe('/grpc.health.v1.Health/Watch');
    expect(health.HealthService.watch.responseStream).toBe(true);
  });

  it('Envoy Gateway extension: six unary hooks', () => {
    const paths = Object.values(egExtension.EnvoyGatewayExtensionService).map((m) => m.path);
    expect(paths.sort()).toEqual(
      [
        'PostClusterModify',
        'PostEndpointsModify',
        'PostHTTPListenerModify',
        'PostRouteModify',
        'PostTranslateModify',
        'PostVirtualHostModify',
      ].map((m) => `/envoygateway.extension.EnvoyGatewayExtension/${m}`),
    );
    expect(egExtension.EnvoyGatewayExtensionService.postTranslateModify.path).toBe(
      '/envoygateway.extension.EnvoyGatewayExtension/PostTranslateModify',
    );
    for (const method of Object.values(egExtension.EnvoyGatewayExtensionService)) {
      expect(method.requestStream).toBe(false);
      expect(method.responseStream).toBe(false);
    }
  });

  it('serializers round-trip through Buffer', () => {
    const { shouldRateLimit } = ratelimit.RateLimitServiceService;
    const request = ratelimit.RateLimitRequest.fromPartial({ domain: 'd', hitsAddend: 3 });
    expect(shouldRateLimit.requestDeserialize(shouldRateLimit.requestSerialize(request))).toEqual(request);
  });

  it('definitions are accepted by grpc.Server#addService', () => {
    const server = new Server();
    expect(() => {
      server.addService(health.HealthService, {
        check: (_call, callback) => {
          callback(null, { status: health.HealthCheckResponse_ServingStatus.SERVING });
        },
        watch: (call) => {
          call.end();
        },
      } satisfies health.HealthServer);
      server.addService(extProc.ExternalProcessorService, {
        process: (call) => {
          call.end();
        },
      } satisfies extProc.ExternalProcessorServer);
    }).not.toThrow();
    server.forceShutdown();
  });
});
