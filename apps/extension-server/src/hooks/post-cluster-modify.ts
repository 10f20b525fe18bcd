import type { egExtension } from '@aigw/proto';

/**
 * PostClusterModify: Envoy Gateway calls it for clusters of backends of a kind it does not know
 * (`backendResources`). Upstream rewrites InferencePool clusters here; this project has no
 * InferencePool support, so the cluster comes back unchanged (the decoded message, unknown fields
 * included).
 * @see upstream internal/extensionserver/post_cluster_modify.go
 */
export function postClusterModify(
  request: egExtension.PostClusterModifyRequest,
): egExtension.PostClusterModifyResponse {
  return { cluster: request.cluster, _unknownFields: {} };
}
