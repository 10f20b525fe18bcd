/**
 * BackendSecurityPolicy: how the gateway authenticates to a provider (API keys, AWS SigV4,
 * Azure and GCP tokens), attached to AIServiceBackends or InferencePools.
 *
 * v1alpha1 differs from v1beta1: at most 3 properties, no `credentialOverride`, and GCP needs
 * exactly one of a credentials file or workload identity federation (v1beta1 allows ADC).
 *
 * @see https://github.com/envoyproxy/ai-gateway/blob/main/api/v1beta1/backendsecurity_policy.go
 */
import type { KindDef } from '../crd.js';
import type { ObjSchema, Rule, Schema } from '../schema/dsl.js';
import { arr, bool, obj, str, strEnum } from '../schema/dsl.js';
import {
  boolDefaultTrue,
  conditionsStatus,
  envoyGatewayOidc,
  localPolicyTargetReference,
  secretObjectReference,
} from './common.js';

/** Values of `spec.type`. */
export const backendSecurityPolicyTypes = [
  'APIKey',
  'AWSCredentials',
  'AzureAPIKey',
  'AzureCredentials',
  'GCPCredentials',
  'AnthropicAPIKey',
] as const;

/** The spec field each type goes with. */
const typeFields = {
  APIKey: 'apiKey',
  AWSCredentials: 'awsCredentials',
  AzureAPIKey: 'azureAPIKey',
  AzureCredentials: 'azureCredentials',
  GCPCredentials: 'gcpCredentials',
  AnthropicAPIKey: 'anthropicAPIKey',
} as const;

/** One rule per type: only the matching credential field may be set. */
const typeRules: Rule[] = backendSecurityPolicyTypes.map((type) => {
  const own = typeFields[type];
  const others = Object.values(typeFields).filter((f) => f !== own);
  const cond = [`has(self.${own})`, ...others.map((f) => `!has(self.${f})`)].join(' && ');
  return {
    rule: `self.type == '${type}' ? (${cond}) : true`,
    message: `When type is ${type}, only ${own} field should be set`,
  };
});

const secretKey = (typeName: string, description: string): ObjSchema =>
  obj(
    { secretRef: { ...secretObjectReference, description } },
    { typeName, required: ['secretRef'] },
  );

const oidcFields = {
  oidc: envoyGatewayOidc,
  grantType: str(),
  aud: str(),
};

const awsCredentials = obj(
  {
    region: str({ minLength: 1 }),
    credentialsFile: obj(
      {
        secretRef: { ...secretObjectReference, description: 'Secret with key "credentials".' },
        profile: str({ default: 'default' }),
      },
      { typeName: 'AWSCredentialsFile', required: ['secretRef'] },
    ),
    oidcExchangeToken: obj(
      { ...oidcFields, awsRoleArn: str({ minLength: 1 }) },
      { typeName: 'AWSOIDCExchangeToken', required: ['oidc', 'awsRoleArn'] },
    ),
  },
  {
    typeName: 'BackendSecurityPolicyAWSCredentials',
    required: ['region'],
    description: 'AWS SigV4; the SDK default chain when neither source is set.',
  },
);

const azureCredentials = obj(
  {
    clientID: str({ minLength: 1 }),
    tenantID: str({ minLength: 1 }),
    clientSecretRef: { ...secretObjectReference, description: 'Secret with key "client-secret".' },
    oidcExchangeToken: obj(oidcFields, { typeName: 'AzureOIDCExchangeToken', required: ['oidc'] }),
  },
  {
    typeName: 'BackendSecurityPolicyAzureCredentials',
    required: ['clientID', 'tenantID'],
    validations: [
      {
        rule: '(has(self.clientSecretRef) && !has(self.oidcExchangeToken)) || (!has(self.clientSecretRef) && has(self.oidcExchangeToken))',
        message: 'Exactly one of clientSecretRef or oidcExchangeToken must be specified',
      },
    ],
  },
);

const gcpWorkloadIdentity = obj(
  {
    projectID: str({ minLength: 1 }),
    workloadIdentityProviderName: str({ minLength: 1 }),
    workloadIdentityPoolName: str({ minLength: 1 }),
    oidcExchangeToken: obj(oidcFields, { typeName: 'GCPOIDCExchangeToken', required: ['oidc'] }),
    serviceAccountImpersonation: obj(
      { serviceAccountName: str({ minLength: 1 }) },
      { typeName: 'GCPServiceAccountImpersonationConfig', required: ['serviceAccountName'] },
    ),
  },
  {
    typeName: 'GCPWorkloadIdentityFederationConfig',
    required: [
      'projectID',
      'workloadIdentityProviderName',
      'oidcExchangeToken',
      'workloadIdentityPoolName',
    ],
  },
);

const gcpCredentialsFile = obj(
  {
    secretRef: { ...secretObjectReference, description: 'Secret with key "service_account.json".' },
  },
  { typeName: 'GCPCredentialsFile', required: ['secretRef'] },
);

const gcpV1beta1 = obj(
  {
    projectName: str({ minLength: 1 }),
    region: str({ minLength: 1 }),
    credentialsFile: gcpCredentialsFile,
    workloadIdentityFederationConfig: gcpWorkloadIdentity,
    isPassthrough: bool({ description: 'Project and region come from request headers.' }),
  },
  {
    typeName: 'BackendSecurityPolicyGCPCredentials',
    description: 'GCP access tokens; Application Default Credentials when no source is set.',
    validations: [
      {
        rule: '!(has(self.credentialsFile) && has(self.workloadIdentityFederationConfig))',
        message:
          'At most one of credentialsFile or workloadIdentityFederationConfig may be specified',
      },
      {
        rule: '(has(self.isPassthrough) && self.isPassthrough) || (has(self.projectName) && has(self.region))',
        message: 'projectName and region are required unless isPassthrough is true',
      },
    ],
  },
);

const gcpV1alpha1 = obj(
  {
    projectName: str({ minLength: 1 }),
    region: str({ minLength: 1 }),
    credentialsFile: gcpCredentialsFile,
    workloadIdentityFederationConfig: gcpWorkloadIdentity,
  },
  {
    typeName: 'BackendSecurityPolicyGCPCredentialsV1alpha1',
    required: ['projectName', 'region'],
    validations: [
      {
        rule: '(has(self.credentialsFile) && !has(self.workloadIdentityFederationConfig)) || (has(self.workloadIdentityFederationConfig) && !has(self.credentialsFile))',
        message:
          'Exactly one of GCPWorkloadIdentityFederationConfig or GCPCredentialsFile must be specified',
      },
    ],
  },
);

const credentialOverride = obj(
  {
    fromRequestHeaders: obj(
      {
        header: str({ description: 'Header (AWS: header prefix) carrying the credential.' }),
        fallbackToConfigured: boolDefaultTrue,
      },
      { typeName: 'CredentialOverrideFromRequestHeaders' },
    ),
    fromDynamicMetadata: obj(
      { namespace: str({ minLength: 1 }), key: str(), fallbackToConfigured: boolDefaultTrue },
      { typeName: 'CredentialOverrideFromDynamicMetadata', required: ['namespace'] },
    ),
  },
  {
    typeName: 'BackendSecurityPolicyCredentialOverride',
    minProperties: 1,
    maxProperties: 1,
    description: 'Per-request credential from a trusted header or dynamic metadata.',
  },
);

const commonFields = (): Record<string, Schema> => ({
  targetRefs: arr(localPolicyTargetReference, {
    maxItems: 16,
    description: 'AIServiceBackends or InferencePools this policy applies to.',
    validations: [
      {
        rule: "self.all(ref, (ref.group == 'aigateway.envoyproxy.io' && ref.kind == 'AIServiceBackend') || (ref.group == 'inference.networking.k8s.io' && ref.kind == 'InferencePool'))",
        message: 'targetRefs must reference AIServiceBackend or InferencePool resources',
      },
    ],
  }),
  type: strEnum(backendSecurityPolicyTypes, { description: 'Which credential field is used.' }),
  apiKey: secretKey('BackendSecurityPolicyAPIKey', 'Secret with key "apiKey".'),
  awsCredentials,
  azureAPIKey: secretKey('BackendSecurityPolicyAzureAPIKey', 'Secret with key "apiKey".'),
  azureCredentials,
  anthropicAPIKey: secretKey('BackendSecurityPolicyAnthropicAPIKey', 'Secret with key "apiKey".'),
});

/** BackendSecurityPolicy v1beta1 spec. */
export const backendSecurityPolicySpec = obj(
  { ...commonFields(), gcpCredentials: gcpV1beta1, credentialOverride },
  {
    typeName: 'BackendSecurityPolicySpec',
    required: ['type'],
    maxProperties: 4,
    validations: typeRules,
  },
);

/** BackendSecurityPolicy v1alpha1 spec. */
export const backendSecurityPolicySpecV1alpha1 = obj(
  { ...commonFields(), gcpCredentials: gcpV1alpha1 },
  {
    typeName: 'BackendSecurityPolicySpecV1alpha1',
    required: ['type'],
    maxProperties: 3,
    validations: typeRules,
  },
);

const status = conditionsStatus('BackendSecurityPolicyStatus');

/** The BackendSecurityPolicy kind. */
export const backendSecurityPolicyKind: KindDef = {
  kind: 'BackendSecurityPolicy',
  plural: 'backendsecuritypolicies',
  singular: 'backendsecuritypolicy',
  description: 'Credentials the gateway uses towards AI provider backends.',
  labels: { 'gateway.networking.k8s.io/policy': 'direct' },
  versions: [
    {
      name: 'v1alpha1',
      storage: false,
      deprecated: true,
      spec: backendSecurityPolicySpecV1alpha1,
      status,
    },
    { name: 'v1beta1', storage: true, deprecated: false, spec: backendSecurityPolicySpec, status },
  ],
};
