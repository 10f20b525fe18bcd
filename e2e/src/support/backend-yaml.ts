/** The `aigw run` YAML of one AI backend on 127.0.0.1, shared by the e2e files that build gateways. */

/** The schemas these files give a credential to. */
export type BackendSchema = 'OpenAI' | 'Anthropic' | 'AWSBedrock';

/**
 * An AIServiceBackend with its Backend (127.0.0.1:`port`), BackendSecurityPolicy and Secret:
 * an API key for OpenAI and Anthropic (`key`), a credentials file for AWS Bedrock (`key` as
 * the secret access key).
 */
export function aiBackendYaml(options: {
  readonly name: string;
  readonly schema: BackendSchema;
  readonly port: number;
  readonly key: string;
}): string {
  const { name, schema, port, key } = options;
  const { policy, secret } = credential(schema, name, key);
  return `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: ${name}}
spec:
  schema: {name: ${schema}}
  backendRef: {name: ${name}, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: ${name}}
spec:
  endpoints: [{ip: {address: 127.0.0.1, port: ${String(port)}}}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: ${name}-key}
spec:
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: ${name}}]
  ${policy}
---
apiVersion: v1
kind: Secret
metadata: {name: ${name}-key}
${secret}`;
}

/** The BackendSecurityPolicy spec lines and the Secret data of a schema's credential. */
function credential(
  schema: BackendSchema,
  name: string,
  key: string,
): { policy: string; secret: string } {
  switch (schema) {
    case 'OpenAI':
      return {
        policy: `type: APIKey\n  apiKey: {secretRef: {name: ${name}-key}}`,
        secret: `stringData: {apiKey: ${key}}`,
      };
    case 'Anthropic':
      return {
        policy: `type: AnthropicAPIKey\n  anthropicAPIKey: {secretRef: {name: ${name}-key}}`,
        secret: `stringData: {apiKey: ${key}}`,
      };
    case 'AWSBedrock':
      return {
        policy: `type: AWSCredentials\n  awsCredentials: {region: us-east-1, credentialsFile: {secretRef: {name: ${name}-key}}}`,
        secret: `stringData:\n  credentials: |\n    [default]\n    aws_access_key_id = AKIARESILIENCE0001\n    aws_secret_access_key = ${key}`,
      };
  }
}

/**
 * The same resources as objects (for files that build their YAML with `stringify`): an
 * AIServiceBackend and its Backend on 127.0.0.1:`port` (with the endpoint `hostname` Envoy sends
 * and the extproc signs for, when given).
 */
export function backendObjects(
  name: string,
  schema: Readonly<Record<string, unknown>>,
  endpoint: { readonly port: number; readonly hostname?: string },
): object[] {
  const { port, hostname } = endpoint;
  return [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'AIServiceBackend',
      metadata: { name },
      spec: { schema, backendRef: { name, kind: 'Backend', group: 'gateway.envoyproxy.io' } },
    },
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'Backend',
      metadata: { name },
      spec: {
        endpoints: [
          { ip: { address: '127.0.0.1', port }, ...(hostname === undefined ? {} : { hostname }) },
        ],
      },
    },
  ];
}

/** A BackendSecurityPolicy `<name>-key` of the backend `name`, and its Secret `<name>-key`. */
export function policyObjects(
  name: string,
  spec: Readonly<Record<string, unknown>>,
  stringData: Readonly<Record<string, string>>,
): object[] {
  return [
    {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'BackendSecurityPolicy',
      metadata: { name: `${name}-key` },
      spec: {
        targetRefs: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend', name }],
        ...spec,
      },
    },
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-key` }, stringData },
  ];
}

/** An API-key policy (`APIKey`, the OpenAI-style bearer key) of the backend `name`. */
export function apiKeyObjects(name: string, key: string): object[] {
  return policyObjects(
    name,
    { type: 'APIKey', apiKey: { secretRef: { name: `${name}-key` } } },
    { apiKey: key },
  );
}

/** A GCP service-account policy of the backend `name`. */
export function gcpCredentialObjects(
  name: string,
  gcp: { readonly project: string; readonly region: string },
  serviceAccountJson: string,
): object[] {
  return policyObjects(
    name,
    {
      type: 'GCPCredentials',
      gcpCredentials: {
        projectName: gcp.project,
        region: gcp.region,
        credentialsFile: { secretRef: { name: `${name}-key` } },
      },
    },
    { 'service_account.json': serviceAccountJson },
  );
}

/** An AIGatewayRoute with one rule per (model, backend): the model header picks the backend. */
export function modelRouteObject(
  name: string,
  rules: readonly (readonly [model: string, backend: string])[],
): object {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'AIGatewayRoute',
    metadata: { name },
    spec: {
      rules: rules.map(([model, backend]) => ({
        matches: [{ headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: model }] }],
        backendRefs: [{ name: backend }],
      })),
    },
  };
}
