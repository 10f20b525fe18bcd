import type { BackendSecurityPolicySpec, SecretObjectReference } from '@aigw/api';

import { exchangeAwsOidc } from './aws.js';
import { exchangeAzureClientSecret, exchangeAzureOidc } from './azure.js';
import { CredentialError } from './errors.js';
import { exchangeGcpServiceAccountKey, exchangeGcpWorkloadIdentity } from './gcp.js';
import type { OidcClientConfig } from './oidc.js';
import type { ExchangeOptions } from './options.js';

/** The credential exchanges a BackendSecurityPolicy can need. */
export type RotationKind =
  | 'aws-oidc'
  | 'azure-client-secret'
  | 'azure-oidc'
  | 'gcp-service-account-key'
  | 'gcp-workload-identity';

/** A BackendSecurityPolicy as the exchange needs it (hub version v1beta1). */
export interface PolicyInput {
  readonly namespace: string;
  readonly name: string;
  readonly spec: BackendSecurityPolicySpec;
}

/** A Secret's data, decoded (what `stringData` would say). */
export type SecretData = Readonly<Record<string, string>>;

/** Reads a Secret: the controller from its informer cache, `aigw run` from the loaded files. */
export type SecretReader = (ref: {
  readonly namespace: string;
  readonly name: string;
}) => SecretData | undefined | Promise<SecretData | undefined>;

/** One Secret key an exchange reads. */
export interface CredentialSecretRef {
  /** The spec field naming it, e.g. `spec.azureCredentials.clientSecretRef`. */
  readonly field: string;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/** The result of one exchange: what the extproc reads and what upstream stores. */
export interface RotatedCredential {
  readonly kind: RotationKind;
  readonly expiresAt: Date;
  /**
   * The credential file content: the AWS shared-credentials text, or the bearer token for Azure
   * and GCP (the extproc's `credentialsFile` / `tokenFile`).
   */
  readonly fileContent: string;
  /** The data of Secret `ai-eg-bsp-<policy>` with upstream's keys. */
  readonly secretData: SecretData;
}

/** Upstream's name of the Secret a rotated credential is written to. */
export function rotatedSecretName(policyName: string): string {
  return `ai-eg-bsp-${policyName}`;
}

/** The annotation upstream puts on that Secret: the credential's expiry, RFC 3339. */
export const expirationTimeAnnotation = 'rotators/expiration-time';

/** Upstream's pre-rotation window: a credential is replaced this long before it expires. */
export const preRotationWindowMs = 5 * 60_000;

/** Secret keys the exchanges read (upstream's). */
export const credentialSecretKeys = {
  /** Azure `clientSecretRef` and every OIDC `clientSecret`. */
  clientSecret: 'client-secret',
  /** GCP `credentialsFile`. */
  serviceAccountJson: 'service_account.json',
} as const;

/**
 * Which exchange a policy needs, or undefined when it needs none: API keys, an AWS credentials
 * file (static keys) or the AWS default chain, GCP Application Default Credentials.
 */
export function rotationKind(spec: BackendSecurityPolicySpec): RotationKind | undefined {
  switch (spec.type) {
    case 'AWSCredentials':
      return spec.awsCredentials?.oidcExchangeToken ? 'aws-oidc' : undefined;
    case 'AzureCredentials':
      return azureKind(spec);
    case 'GCPCredentials':
      return gcpKind(spec);
    case 'APIKey':
    case 'AzureAPIKey':
    case 'AnthropicAPIKey':
      return undefined;
  }
}

function azureKind(spec: BackendSecurityPolicySpec): RotationKind | undefined {
  if (spec.azureCredentials?.oidcExchangeToken) return 'azure-oidc';
  return spec.azureCredentials?.clientSecretRef ? 'azure-client-secret' : undefined;
}

function gcpKind(spec: BackendSecurityPolicySpec): RotationKind | undefined {
  if (spec.gcpCredentials?.workloadIdentityFederationConfig) return 'gcp-workload-identity';
  return spec.gcpCredentials?.credentialsFile ? 'gcp-service-account-key' : undefined;
}

/**
 * Whether upstream makes the policy the controller owner of its rotated Secret (federated
 * credentials: AWS OIDC, Azure OIDC, GCP WIF); secret- and key-based ones get no ownerRef.
 */
export function ownsRotatedSecret(kind: RotationKind): boolean {
  return kind === 'aws-oidc' || kind === 'azure-oidc' || kind === 'gcp-workload-identity';
}

interface OidcSpec {
  readonly oidc: {
    readonly provider: { readonly issuer: string; readonly tokenEndpoint?: string };
    readonly clientID?: string;
    readonly clientSecret: SecretObjectReference;
    readonly scopes?: string[];
  };
}

/**
 * The Secret keys the exchange of `policy` reads (for a controller's Secret → policy index).
 * Empty when the policy needs no exchange.
 */
export function credentialSecretRefs(policy: PolicyInput): CredentialSecretRef[] {
  const kind = rotationKind(policy.spec);
  const source = kind === undefined ? undefined : secretSource(policy.spec, kind);
  if (!source) return [];
  return [
    {
      field: source.field,
      namespace: source.ref.namespace ?? policy.namespace,
      name: source.ref.name,
      key: source.key,
    },
  ];
}

type SecretSource = { field: string; ref: SecretObjectReference; key: string } | undefined;

/** Where each kind of exchange finds its OIDC configuration. */
const oidcFields = {
  'aws-oidc': 'spec.awsCredentials.oidcExchangeToken',
  'azure-oidc': 'spec.azureCredentials.oidcExchangeToken',
  'gcp-workload-identity': 'spec.gcpCredentials.workloadIdentityFederationConfig.oidcExchangeToken',
} as const;

function oidcSpec(
  spec: BackendSecurityPolicySpec,
  kind: keyof typeof oidcFields,
): OidcSpec | undefined {
  switch (kind) {
    case 'aws-oidc':
      return spec.awsCredentials?.oidcExchangeToken;
    case 'azure-oidc':
      return spec.azureCredentials?.oidcExchangeToken;
    case 'gcp-workload-identity':
      return spec.gcpCredentials?.workloadIdentityFederationConfig?.oidcExchangeToken;
  }
}

/** The one Secret reference an exchange of `kind` reads, with its field and key. */
function secretSource(spec: BackendSecurityPolicySpec, kind: RotationKind): SecretSource {
  switch (kind) {
    case 'aws-oidc':
    case 'azure-oidc':
    case 'gcp-workload-identity': {
      const o = oidcSpec(spec, kind);
      const field = `${oidcFields[kind]}.oidc.clientSecret`;
      return o && { field, ref: o.oidc.clientSecret, key: credentialSecretKeys.clientSecret };
    }
    case 'azure-client-secret': {
      const ref = spec.azureCredentials?.clientSecretRef;
      const field = 'spec.azureCredentials.clientSecretRef';
      return ref && { field, ref, key: credentialSecretKeys.clientSecret };
    }
    case 'gcp-service-account-key': {
      const ref = spec.gcpCredentials?.credentialsFile?.secretRef;
      const field = 'spec.gcpCredentials.credentialsFile.secretRef';
      return ref && { field, ref, key: credentialSecretKeys.serviceAccountJson };
    }
  }
}

/** Reads the secrets a policy's exchange needs, failing with the field that names a missing one. */
class Resolver {
  readonly #policy: PolicyInput;
  readonly #read: SecretReader;

  constructor(policy: PolicyInput, read: SecretReader) {
    this.#policy = policy;
    this.#read = read;
  }

  async secret(field: string, ref: SecretObjectReference, key: string): Promise<string> {
    const namespace = ref.namespace ?? this.#policy.namespace;
    const data = await this.#read({ namespace, name: ref.name });
    const value = data?.[key];
    if (value === undefined || value === '') {
      const why = data === undefined ? 'not found' : `has no key "${key}"`;
      throw new CredentialError(
        'secret-missing',
        `${field}: Secret ${namespace}/${ref.name} ${why}`,
      );
    }
    return value;
  }

  async oidc(field: string, spec: OidcSpec): Promise<OidcClientConfig> {
    const o = spec.oidc;
    const clientSecret = await this.secret(
      `${field}.oidc.clientSecret`,
      o.clientSecret,
      credentialSecretKeys.clientSecret,
    );
    if (!o.clientID)
      throw invalid(`${field}.oidc.clientID: required for the client-credentials grant`);
    return {
      issuer: o.provider.issuer,
      ...(o.provider.tokenEndpoint === undefined
        ? {}
        : { tokenEndpoint: o.provider.tokenEndpoint }),
      clientId: o.clientID,
      clientSecret,
      ...(o.scopes === undefined ? {} : { scopes: o.scopes }),
    };
  }
}

function invalid(message: string): CredentialError {
  return new CredentialError('invalid-policy', message);
}

/**
 * Exchanges a BackendSecurityPolicy's cloud credential for a short-lived one: reads the Secrets
 * it names through `readSecret`, runs the exchange its {@link rotationKind} calls for, and
 * returns the credential file content and upstream's Secret data. Stateless: the caller (the
 * controller, `aigw run`) schedules refreshes, e.g. with {@link createRotator}.
 *
 * @throws CredentialError `invalid-policy` (no exchange for this policy, a field missing),
 * `secret-missing`, `invalid-secret`, or the exchange's own codes.
 */
export async function exchangeFor(
  policy: PolicyInput,
  readSecret: SecretReader,
  options: ExchangeOptions = {},
): Promise<RotatedCredential> {
  const spec = policy.spec;
  const kind = rotationKind(spec);
  const resolve = new Resolver(policy, readSecret);
  switch (kind) {
    case 'aws-oidc':
      return awsOidc(policy, resolve, options);
    case 'azure-client-secret':
    case 'azure-oidc':
      return azure({ kind, spec, resolve, options });
    case 'gcp-service-account-key':
    case 'gcp-workload-identity':
      return gcp({ kind, spec, resolve, options });
    case undefined:
      throw invalid(
        `BackendSecurityPolicy ${policy.namespace}/${policy.name}: type ${spec.type} has no credential to exchange`,
      );
  }
}

async function awsOidc(
  policy: PolicyInput,
  resolve: Resolver,
  options: ExchangeOptions,
): Promise<RotatedCredential> {
  const aws = policy.spec.awsCredentials;
  const exchange = aws?.oidcExchangeToken;
  if (!aws || !exchange) throw invalid('spec.awsCredentials.oidcExchangeToken: required');
  const oidc = await resolve.oidc('spec.awsCredentials.oidcExchangeToken', exchange);
  const out = await exchangeAwsOidc(
    { policyName: policy.name, region: aws.region, roleArn: exchange.awsRoleArn, oidc },
    options,
  );
  return {
    kind: 'aws-oidc',
    expiresAt: out.expiresAt,
    fileContent: out.credentialsFile,
    secretData: { credentials: out.credentialsFile },
  };
}

async function azure(context: {
  kind: 'azure-client-secret' | 'azure-oidc';
  spec: BackendSecurityPolicySpec;
  resolve: Resolver;
  options: ExchangeOptions;
}): Promise<RotatedCredential> {
  const { kind, resolve, options } = context;
  const az = context.spec.azureCredentials;
  if (!az) throw invalid('spec.azureCredentials: required');
  const app = { tenantId: az.tenantID, clientId: az.clientID };
  let token;
  if (kind === 'azure-oidc' && az.oidcExchangeToken) {
    const oidc = await resolve.oidc(
      'spec.azureCredentials.oidcExchangeToken',
      az.oidcExchangeToken,
    );
    token = await exchangeAzureOidc({ ...app, oidc }, options);
  } else if (az.clientSecretRef) {
    const clientSecret = await resolve.secret(
      'spec.azureCredentials.clientSecretRef',
      az.clientSecretRef,
      credentialSecretKeys.clientSecret,
    );
    token = await exchangeAzureClientSecret({ ...app, clientSecret }, options);
  } else {
    throw invalid('spec.azureCredentials: one of clientSecretRef or oidcExchangeToken is required');
  }
  return {
    kind,
    expiresAt: token.expiresAt,
    fileContent: token.token,
    secretData: { azureAccessToken: token.token },
  };
}

async function gcp(context: {
  kind: 'gcp-service-account-key' | 'gcp-workload-identity';
  spec: BackendSecurityPolicySpec;
  resolve: Resolver;
  options: ExchangeOptions;
}): Promise<RotatedCredential> {
  const { kind, resolve, options } = context;
  const g = context.spec.gcpCredentials;
  const field = 'spec.gcpCredentials';
  if (!g) throw invalid(`${field}: required`);
  let token;
  const wif = g.workloadIdentityFederationConfig;
  if (kind === 'gcp-workload-identity' && wif) {
    const wifField = `${field}.workloadIdentityFederationConfig`;
    const oidc = await resolve.oidc(`${wifField}.oidcExchangeToken`, wif.oidcExchangeToken);
    const sa = wif.serviceAccountImpersonation?.serviceAccountName;
    if (sa !== undefined && !g.projectName) {
      throw invalid(`${field}.projectName: required to impersonate service account ${sa}`);
    }
    token = await exchangeGcpWorkloadIdentity(
      {
        projectId: wif.projectID,
        poolName: wif.workloadIdentityPoolName,
        providerName: wif.workloadIdentityProviderName,
        oidc,
        // Upstream's address for the account: <name>@<projectName>.iam.gserviceaccount.com.
        ...(sa === undefined
          ? {}
          : { serviceAccountEmail: `${sa}@${g.projectName ?? ''}.iam.gserviceaccount.com` }),
      },
      options,
    );
  } else if (g.credentialsFile) {
    const json = await resolve.secret(
      `${field}.credentialsFile.secretRef`,
      g.credentialsFile.secretRef,
      credentialSecretKeys.serviceAccountJson,
    );
    token = await exchangeGcpServiceAccountKey({ serviceAccountJson: json }, options);
  } else {
    throw invalid(
      `${field}: one of credentialsFile or workloadIdentityFederationConfig is required`,
    );
  }
  return {
    kind,
    expiresAt: token.expiresAt,
    fileContent: token.token,
    secretData: {
      gcpAccessToken: token.token,
      ...(g.projectName === undefined ? {} : { projectName: g.projectName }),
      ...(g.region === undefined ? {} : { region: g.region }),
    },
  };
}
