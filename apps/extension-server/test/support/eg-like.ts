import type { AIGatewayRoute } from '@aigw/api';
import { egExtension, envoyConfig, envoyFilters } from '@aigw/proto';

import { MapRouteStore } from '../../src/route-store.js';

const any = <T>(
  name: string,
  codec: { encode(m: T): { finish(): Uint8Array } },
  message: T,
): envoyConfig.Any => ({
  typeUrl: `type.googleapis.com/${name}`,
  value: Buffer.from(codec.encode(message).finish()),
});

/**
 * Bytes of a field numbered 1000 (varint 42) that no Envoy proto defines: appended to a message's
 * encoding, it must come back unchanged from every hook.
 */
export const unknownField = Buffer.from([0xc0, 0x3e, 0x2a]);

/** Decodes `message` re-encoded with {@link unknownField} appended, as if a newer Envoy Gateway sent it. */
export function withUnknownField<T>(
  codec: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T },
  message: T,
): T {
  return codec.decode(Buffer.concat([codec.encode(message).finish(), unknownField]));
}

/** AIGatewayRoute default/chat: rule 0 with OpenAI (tier 0), a disabled ref and Bedrock (tier 5). */
export function chatRoute(): AIGatewayRoute {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIGatewayRoute',
    metadata: { name: 'chat', namespace: 'default' },
    spec: {
      rules: [
        {
          matches: [{ headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: 'gpt-4o-mini' }] }],
          backendRefs: [
            { name: 'openai' },
            { name: 'off', weight: 0 },
            { name: 'bedrock', priority: 5 },
          ],
          streamIdleTimeout: '1m30s',
        },
      ],
    },
  };
}

export function storeWith(...routes: AIGatewayRoute[]): MapRouteStore {
  const store = new MapRouteStore();
  store.replace(routes);
  return store;
}

function lbEndpoint(address: string, hostname = ''): envoyConfig.LbEndpoint {
  return envoyConfig.LbEndpoint.fromPartial({
    hostIdentifier: {
      $case: 'endpoint',
      value: {
        hostname,
        address: {
          address: {
            $case: 'socketAddress',
            value: { address, portSpecifier: { $case: 'portValue', value: 443 } },
          },
        },
      },
    },
  });
}

/**
 * What Envoy Gateway sends for a Gateway with one HTTPRoute `default/chat` (cluster, listener
 * with an HCM, route configuration) plus an unrelated HTTPRoute `default/web`, in its shapes and
 * names (docs/extension-server.md); unknown fields in the cluster and inside the HCM's Any.
 */
export function egLikeRequest(): egExtension.PostTranslateModifyRequest {
  const cluster = withUnknownField(
    envoyConfig.Cluster,
    envoyConfig.Cluster.fromPartial({
      name: 'httproute/default/chat/rule/0',
      clusterDiscoveryType: { $case: 'type', value: envoyConfig.Cluster_DiscoveryType.STRICT_DNS },
      loadAssignment: {
        clusterName: 'httproute/default/chat/rule/0',
        endpoints: [
          {
            locality: { region: 'httproute/default/chat/rule/0/backend/0' },
            lbEndpoints: [lbEndpoint('api.openai.com')],
          },
          {
            locality: { region: 'httproute/default/chat/rule/0/backend/1' },
            lbEndpoints: [lbEndpoint('10.0.0.7', 'bedrock-runtime.us-east-1.amazonaws.com')],
          },
        ],
      },
    }),
  );
  const web = envoyConfig.Cluster.fromPartial({ name: 'httproute/default/web/rule/0' });
  const hcm = withUnknownField(
    envoyFilters.hcm.HttpConnectionManager,
    envoyFilters.hcm.HttpConnectionManager.fromPartial({
      statPrefix: 'http-10080',
      routeSpecifier: { $case: 'rds', value: { routeConfigName: 'default/aigw/http' } },
      httpFilters: [
        { name: 'envoy.filters.http.cors' },
        { name: 'envoy.filters.http.ratelimit' },
        {
          name: 'envoy.filters.http.router',
          configType: {
            $case: 'typedConfig',
            value: any(
              'envoy.extensions.filters.http.router.v3.Router',
              envoyFilters.router.Router,
              envoyFilters.router.Router.fromPartial({}),
            ),
          },
        },
      ],
    }),
  );
  const listener = envoyConfig.Listener.fromPartial({
    name: 'default/aigw/http',
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            configType: {
              $case: 'typedConfig',
              value: any(
                'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                envoyFilters.hcm.HttpConnectionManager,
                hcm,
              ),
            },
          },
        ],
      },
    ],
  });
  const sourceOf = (name: string, annotations?: Record<string, string>) => ({
    filterMetadata: {
      'envoy-gateway': {
        resources: [
          {
            kind: 'HTTPRoute',
            name,
            namespace: 'default',
            ...(annotations ? { annotations } : {}),
          },
        ],
      },
    },
  });
  const routes = envoyConfig.RouteConfiguration.fromPartial({
    name: 'default/aigw/http',
    virtualHosts: [
      {
        name: 'default/aigw/http/*',
        domains: ['*'],
        routes: [
          {
            name: 'httproute/default/chat/rule/0/match/0/*',
            metadata: sourceOf('chat', { 'gateway.envoyproxy.io/ai-gateway-generated': 'true' }),
            action: {
              $case: 'route',
              value: {
                clusterSpecifier: { $case: 'cluster', value: 'httproute/default/chat/rule/0' },
              },
            },
          },
          {
            name: 'httproute/default/web/rule/0/match/0/*',
            metadata: sourceOf('web'),
            action: {
              $case: 'route',
              value: {
                clusterSpecifier: { $case: 'cluster', value: 'httproute/default/web/rule/0' },
              },
            },
          },
        ],
      },
    ],
  });
  // Not fromPartial for the clusters: it would drop the unknown field.
  return {
    ...egExtension.PostTranslateModifyRequest.fromPartial({
      listeners: [listener],
      routes: [routes],
    }),
    clusters: [cluster, web],
  };
}
