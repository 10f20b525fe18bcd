import { egExtension, envoyConfig, envoyFilters } from '@aigw/proto';
import { describe, expect, it } from 'vitest';

import { isHookError } from '../src/errors.js';
import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { chatRoute, egLikeRequest, storeWith, unknownField } from './support/eg-like.js';
import { readable } from './support/readable.js';

const udsPath = '/run/aigw/extproc.sock';

/** The hook as Envoy Gateway sees it: request bytes in, response bytes out. */
function overTheWire(
  request: egExtension.PostTranslateModifyRequest,
  routes = storeWith(chatRoute()),
) {
  const decoded = egExtension.PostTranslateModifyRequest.decode(
    egExtension.PostTranslateModifyRequest.encode(request).finish(),
  );
  const response = postTranslateModify(decoded, { routes, udsPath });
  const bytes = egExtension.PostTranslateModifyResponse.encode(response).finish();
  return { bytes, response: egExtension.PostTranslateModifyResponse.decode(bytes) };
}

function hcmOf(listener: envoyConfig.Listener | undefined): envoyFilters.hcm.HttpConnectionManager {
  const filter = listener?.filterChains[0]?.filters[0];
  if (filter?.configType?.$case !== 'typedConfig') throw new Error('no HCM');
  return envoyFilters.hcm.HttpConnectionManager.decode(filter.configType.value.value);
}

describe('PostTranslateModify on Envoy Gateway-shaped xDS', () => {
  it('matches the golden (metadata, priorities, filters, route edits, UDS cluster)', async () => {
    const { response } = overTheWire(egLikeRequest());
    await expect(JSON.stringify(readable(response), null, 2) + '\n').toMatchFileSnapshot(
      'testdata/eg-like.out.json',
    );
  });

  it('names each endpoint group with its backend and its dense priority tier, skipping weight 0 refs', () => {
    const { response } = overTheWire(egLikeRequest());
    const groups = response.clusters[0]?.loadAssignment?.endpoints ?? [];
    expect(groups.map((g) => g.priority)).toEqual([0, 1]);
    expect(
      groups.map((g) => g.lbEndpoints[0]?.metadata?.filterMetadata['aigateway.envoy.io']),
    ).toEqual([
      {
        per_route_rule_backend_name: 'default/openai/route/chat/rule/0/ref/0',
        upstream_host: 'api.openai.com',
        hostname: 'api.openai.com',
      },
      {
        per_route_rule_backend_name: 'default/bedrock/route/chat/rule/0/ref/2',
        upstream_host: 'bedrock-runtime.us-east-1.amazonaws.com',
        hostname: 'bedrock-runtime.us-east-1.amazonaws.com',
      },
    ]);
  });

  it('puts ext_proc and the content-length mutation before the codec of AI clusters only', () => {
    const { response } = overTheWire(egLikeRequest());
    const [chat, web, uds] = response.clusters;
    const options =
      chat?.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    const decoded = envoyFilters.upstreamHttp.HttpProtocolOptions.decode(
      options?.value ?? new Uint8Array(),
    );
    expect(decoded.httpFilters.map((f) => f.name)).toEqual([
      'envoy.filters.http.ext_proc/aigateway',
      'envoy.filters.http.header_mutation',
      'envoy.filters.http.upstream_codec',
    ]);
    expect(decoded.upstreamProtocolOptions?.$case).toBe('explicitHttpConfig');
    expect(web?.typedExtensionProtocolOptions).toEqual({});
    expect(uds?.name).toBe('ai-gateway-extproc-uds');
    expect(uds?.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.hostIdentifier).toMatchObject({
      value: { address: { address: { $case: 'pipe', value: { path: udsPath } } } },
    });
  });

  it('inserts the router-level ext_proc disabled, before the rate limit filter, and enables it on AI routes only', () => {
    const { response } = overTheWire(egLikeRequest());
    const hcm = hcmOf(response.listeners[0]);
    expect(hcm.httpFilters.map((f) => [f.name, f.disabled])).toEqual([
      ['envoy.filters.http.cors', false],
      ['envoy.filters.http.ext_proc/aigateway', true],
      ['envoy.filters.http.ratelimit', false],
      ['envoy.filters.http.router', false],
    ]);
    expect(hcm.schemeHeaderTransformation?.matchUpstream).toBe(true);
    const [chat, web] = response.routes[0]?.virtualHosts[0]?.routes ?? [];
    expect(Object.keys(chat?.typedPerFilterConfig ?? {})).toEqual([
      'envoy.filters.http.ext_proc/aigateway',
    ]);
    expect(chat?.metadata?.filterMetadata['aigateway.envoy.io']).toEqual({
      aigw_route_name: 'default/chat',
    });
    expect(web?.typedPerFilterConfig).toEqual({});
    expect(web?.metadata?.filterMetadata['aigateway.envoy.io']).toBeUndefined();
  });

  it('sets the per-try idle timeout and retries into the next priority tier', () => {
    const { response } = overTheWire(egLikeRequest());
    const action = response.routes[0]?.virtualHosts[0]?.routes[0]?.action;
    expect(action?.$case).toBe('route');
    const retry = action?.$case === 'route' ? action.value.retryPolicy : undefined;
    expect(retry?.perTryIdleTimeout).toMatchObject({ seconds: 90n, nanos: 0 });
    expect(retry?.numRetries).toBe(1);
    expect(retry?.retryPriority?.name).toBe('envoy.retry_priorities.previous_priorities');
  });

  it('keeps fields this project does not model, in a cluster and inside an Any it re-encodes', () => {
    const { response } = overTheWire(egLikeRequest());
    const cluster = envoyConfig.Cluster.encode(
      response.clusters[0] ?? envoyConfig.Cluster.fromPartial({}),
    ).finish();
    expect(Buffer.from(cluster).includes(unknownField)).toBe(true);
    const filter = response.listeners[0]?.filterChains[0]?.filters[0];
    const hcmBytes =
      filter?.configType?.$case === 'typedConfig' ? filter.configType.value.value : Buffer.alloc(0);
    expect(Buffer.from(hcmBytes).includes(unknownField)).toBe(true);
  });

  it('is idempotent: a second pass over its own output changes nothing', () => {
    const first = overTheWire(egLikeRequest());
    const again = overTheWire({ ...first.response, postTranslateContext: undefined });
    expect(Buffer.from(again.bytes).equals(Buffer.from(first.bytes))).toBe(true);
  });

  it('leaves xDS of HTTPRoutes without an AIGatewayRoute alone', () => {
    const { response } = overTheWire(egLikeRequest(), storeWith());
    expect(
      response.clusters[0]?.loadAssignment?.endpoints[0]?.lbEndpoints[0]?.metadata,
    ).toBeUndefined();
    // The controller's annotation still marks the route as AI: its router ext_proc is enabled.
    expect(
      Object.keys(response.routes[0]?.virtualHosts[0]?.routes[0]?.typedPerFilterConfig ?? {}),
    ).toHaveLength(1);
  });

  it('fails with a message naming the cluster and the route when endpoint groups and refs disagree', () => {
    const request = egLikeRequest();
    request.clusters[0]?.loadAssignment?.endpoints.pop();
    let caught: unknown;
    try {
      postTranslateModify(request, { routes: storeWith(chatRoute()), udsPath });
    } catch (err) {
      caught = err;
    }
    expect(isHookError(caught)).toBe(true);
    expect((caught as Error).message).toBe(
      'cluster httproute/default/chat/rule/0: 1 endpoint groups for the 2 weighted backendRefs of AIGatewayRoute default/chat rule 0',
    );
  });

  it('fails while the routes are not loaded instead of passing the xDS through unedited', () => {
    expect(() =>
      postTranslateModify(egLikeRequest(), {
        routes: new (storeWith().constructor as new () => never)(),
        udsPath,
      }),
    ).toThrow('PostTranslateModify: the AIGatewayRoutes are not loaded yet');
  });
});
