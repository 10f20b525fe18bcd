import type { egExtension } from '@aigw/proto';

/**
 * PostRouteModify: called per route that has extension filters or backends. Upstream turns off
 * `auto_host_rewrite` for InferencePool routes; without InferencePools the route comes back
 * unchanged. Route edits (metadata, ext_proc, retries) happen in PostTranslateModify, which sees
 * every route at once.
 * @see upstream internal/extensionserver/post_route_modify.go
 */
export function postRouteModify(
  request: egExtension.PostRouteModifyRequest,
): egExtension.PostRouteModifyResponse {
  return { route: request.route, _unknownFields: {} };
}
