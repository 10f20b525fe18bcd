import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { egExtension } from '@aigw/proto';
import { createLogger, type GrpcService } from '@aigw/service-kit';
import { startGrpcService } from '@aigw/service-kit/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { registerExtensionService } from '../src/server.js';
import { chatRoute, egLikeRequest, storeWith } from './support/eg-like.js';

let service: GrpcService;
let client: egExtension.EnvoyGatewayExtensionClient;

beforeAll(async () => {
  const log = createLogger({ name: 'test', level: 'silent', format: 'json' });
  service = await startGrpcService({
    address: '127.0.0.1:0',
    log,
    register: (server) => {
      registerExtensionService(server, {
        routes: storeWith(chatRoute()),
        udsPath: '/tmp/x.sock',
        log,
      });
    },
  });
  client = new egExtension.EnvoyGatewayExtensionClient(
    service.bound.address,
    credentials.createInsecure(),
  );
});

afterAll(async () => {
  client.close();
  await service.close();
});

type Callback<Res> = (err: ServiceError | null, res: Res) => void;

/** One unary call as a promise. */
function call<Req, Res>(
  method: (req: Req, cb: Callback<Res>) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, (err, res) => {
      if (err) reject(err);
      else resolve(res);
    });
  });
}

const translate = (
  r: egExtension.PostTranslateModifyRequest,
  cb: Callback<egExtension.PostTranslateModifyResponse>,
) => client.postTranslateModify(r, cb);
const clusterModify = (
  r: egExtension.PostClusterModifyRequest,
  cb: Callback<egExtension.PostClusterModifyResponse>,
) => client.postClusterModify(r, cb);
const routeModify = (
  r: egExtension.PostRouteModifyRequest,
  cb: Callback<egExtension.PostRouteModifyResponse>,
) => client.postRouteModify(r, cb);
const endpointsModify = (
  r: egExtension.PostEndpointsModifyRequest,
  cb: Callback<egExtension.PostEndpointsModifyResponse>,
) => client.postEndpointsModify(r, cb);
const virtualHostModify = (
  r: egExtension.PostVirtualHostModifyRequest,
  cb: Callback<egExtension.PostVirtualHostModifyResponse>,
) => client.postVirtualHostModify(r, cb);

describe('EnvoyGatewayExtension over gRPC', () => {
  it('answers PostTranslateModify with the edited xDS plus the UDS cluster', async () => {
    const response = await call(translate, egLikeRequest());
    expect(response.clusters.map((c) => c.name)).toEqual([
      'httproute/default/chat/rule/0',
      'httproute/default/web/rule/0',
      'ai-gateway-extproc-uds',
    ]);
  });

  it('returns INVALID_ARGUMENT naming the resource, and no xDS, when a hook fails', async () => {
    const request = egLikeRequest();
    request.clusters[0]?.loadAssignment?.endpoints.pop();
    await expect(call(translate, request)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('cluster httproute/default/chat/rule/0:') as unknown,
    });
  });

  it('returns clusters and routes unchanged from PostClusterModify and PostRouteModify', async () => {
    const cluster = egLikeRequest().clusters[0];
    const response = await call(clusterModify, {
      cluster,
      postClusterContext: undefined,
    });
    expect(egExtension.PostClusterModifyResponse.encode(response).finish()).toEqual(
      egExtension.PostClusterModifyResponse.encode({ cluster, _unknownFields: {} }).finish(),
    );
    const route = egLikeRequest().routes[0]?.virtualHosts[0]?.routes[0];
    const routed = await call(routeModify, { route, postRouteContext: undefined });
    expect(routed.route?.name).toBe(route?.name);
  });

  it('annotates the endpoints of EDS clusters in PostEndpointsModify', async () => {
    const loadAssignment = egLikeRequest().clusters[0]?.loadAssignment;
    const response = await call(endpointsModify, {
      loadAssignment,
      postEndpointsContext: undefined,
    });
    const groups = response.loadAssignment?.endpoints ?? [];
    expect(groups.map((g) => g.priority)).toEqual([0, 1]);
    expect(
      groups.map(
        (g) =>
          g.lbEndpoints[0]?.metadata?.filterMetadata['aigateway.envoy.io']
            ?.per_route_rule_backend_name as unknown,
      ),
    ).toEqual([
      'default/openai/route/chat/rule/0/ref/0',
      'default/bedrock/route/chat/rule/0/ref/2',
    ]);
  });

  it('answers UNIMPLEMENTED for hooks it does not implement', async () => {
    await expect(
      call(virtualHostModify, {
        virtualHost: undefined,
        postVirtualHostContext: undefined,
      }),
    ).rejects.toMatchObject({
      code: status.UNIMPLEMENTED,
    });
  });
});
