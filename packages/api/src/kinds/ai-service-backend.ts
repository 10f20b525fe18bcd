/**
 * AIServiceBackend: one AI provider endpoint (an Envoy Gateway Backend) with the API schema it
 * speaks and optional request mutations.
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1beta1/ai_service_backend.go
 */
import type { KindDef, VersionDef } from '../crd.js';
import { obj } from '../schema/dsl.js';
import {
  backendObjectReference,
  conditionsStatus,
  httpBodyMutation,
  httpHeaderMutation,
  versionedApiSchema,
} from './common.js';

/**
 * Upstream's CRD allows only an Envoy Gateway Backend here (CEL rule "BackendRef must be a Backend
 * resource of Envoy Gateway. See https://github.com/envoyproxy/ai-gateway/issues/902 ..."). We
 * also accept a Kubernetes Service (core group), as the issue asks and as the HTTPRoute the
 * controller writes (a copy of this reference) supports: `aigw translate` emits it, `aigw run`
 * explains that a Service cannot be resolved outside a cluster. The pinned difference is listed
 * in `src/upstream-messages.test.ts`.
 */
const backendRef = {
  ...backendObjectReference,
  typeName: 'AIServiceBackendRef',
  description:
    'The Envoy Gateway Backend (gateway.envoyproxy.io/Backend) or Kubernetes Service to send traffic to.',
  validations: [
    {
      rule: "(self.kind == 'Backend' && self.group == 'gateway.envoyproxy.io') || (self.kind == 'Service' && size(self.group) == 0)",
      message:
        'BackendRef must be a Backend resource of Envoy Gateway or a Kubernetes Service. See https://github.com/envoyproxy/ai-gateway/issues/902 for more details.',
    },
    ...(backendObjectReference.validations ?? []),
  ],
};

/** AIServiceBackend spec (identical in v1alpha1 and v1beta1). */
export const aiServiceBackendSpec = obj(
  {
    schema: {
      ...versionedApiSchema,
      description: 'API the provider speaks; selects the translation.',
    },
    backendRef,
    headerMutation: httpHeaderMutation,
    bodyMutation: httpBodyMutation,
    responseBodyMutation: httpBodyMutation,
  },
  { typeName: 'AIServiceBackendSpec', required: ['backendRef', 'schema'] },
);

const status = conditionsStatus('AIServiceBackendStatus');

const version = (name: VersionDef['name']): VersionDef => ({
  name,
  storage: name === 'v1beta1',
  deprecated: name === 'v1alpha1',
  spec: aiServiceBackendSpec,
  status,
});

/** The AIServiceBackend kind. */
export const aiServiceBackendKind: KindDef = {
  kind: 'AIServiceBackend',
  plural: 'aiservicebackends',
  singular: 'aiservicebackend',
  description: 'One AI provider backend and the API schema it speaks.',
  versions: [version('v1alpha1'), version('v1beta1')],
};
