import type { egExtension } from '@aigw/proto';

import { HookError } from '../errors.js';
import type { RouteStore } from '../route-store.js';
import { annotateAssignment, ruleOf } from './post-translate-modify.js';

/**
 * PostEndpointsModify (Envoy Gateway ≥ 1.8, `post: [..., Endpoints]`): the endpoints of EDS clusters
 * (Backends with IP endpoints), which PostTranslateModify never sees. Gives them the same backend
 * names, host names and priority tiers as the inline endpoints of DNS clusters. Not in upstream,
 * which only puts the first backend's name on such clusters.
 */
export function postEndpointsModify(
  request: egExtension.PostEndpointsModifyRequest,
  routes: RouteStore,
): egExtension.PostEndpointsModifyResponse {
  routes.refresh?.();
  if (!routes.isSynced) {
    throw new HookError(
      'routes_unavailable',
      'PostEndpointsModify: the AIGatewayRoutes are not loaded yet',
    );
  }
  const assignment = request.loadAssignment;
  const ref =
    assignment === undefined ? undefined : ruleOf(assignment.clusterName, routes, 'cluster');
  if (assignment !== undefined && ref !== undefined) {
    annotateAssignment(assignment, ref, `endpoints of cluster ${assignment.clusterName}`);
  }
  return { loadAssignment: assignment, _unknownFields: {} };
}
