import type { BackendSecurityPolicySpec } from '@aigw/api';
import type { BackendAuth } from '@aigw/filterapi';

import type { Secret } from './kube-types.js';
import type { AnyBackendSecurityPolicy, Loaded } from './resource-set.js';
import { secretValue } from './secrets.js';

/**
 * The Secret the controller's credential rotator writes for a BackendSecurityPolicy, in the
 * policy's namespace (upstream's name, `rotators.GetBSPSecretName`).
 */
export function rotatedSecretName(policy: string): string {
  return `ai-eg-bsp-${policy}`;
}

/** The keys of a rotated Secret (upstream's): the credential each exchange writes. */
export const rotatedSecretKeys = {
  /** AWS OIDC: an AWS shared-credentials file, `[default]` profile. */
  aws: 'credentials',
  /** Azure client secret or OIDC federation: an Entra ID access token. */
  azure: 'azureAccessToken',
  /** GCP service-account key or workload identity federation: an access token. */
  gcp: 'gcpAccessToken',
} as const;

/** What {@link inlineAuth} reads and reports to. */
export interface InlineAuthContext {
  readonly policy: Loaded<AnyBackendSecurityPolicy>;
  /** `<file>: BackendSecurityPolicy <ns>/<name>`, the prefix of problems. */
  readonly where: string;
  /** The Secret `namespace/name`, if loaded. */
  readonly secret: (key: string) => Loaded<Secret> | undefined;
  readonly problem: (message: string) => void;
  /** An AWS shared-credentials file with `profile` as its `[default]` section. */
  readonly defaultProfile: (ini: string, profile: string) => string;
}

interface SecretRef {
  readonly name: string;
  readonly namespace?: string;
}

/**
 * A policy's auth for the controller's extproc (`kubernetes` mode), with the credential
 * **inlined** as upstream's controller writes it (`apiKey.key`, `aws.credentialFileLiteral`,
 * `azure|gcp.accessToken`): the config Secret is the only thing the extproc reads, so a rotated or
 * edited credential reaches it with the config, without a mount or a restart.
 *
 * Static credentials come from the Secrets the policy references (`apiKey`, AWS `credentials`).
 * Exchanged ones (AWS OIDC, Azure, GCP) come from the rotated Secret
 * `ai-eg-bsp-<policy>` ({@link rotatedSecretName}, keys {@link rotatedSecretKeys}); for Azure and
 * GCP a ready access token under `token` in the referenced Secret (aigw's own convention) is used
 * while there is no rotated one.
 */
export function inlineAuth(
  spec: BackendSecurityPolicySpec,
  context: InlineAuthContext,
): BackendAuth | undefined {
  const reader = new InlineReader(context);
  switch (spec.type) {
    case 'APIKey':
      return reader.apiKey('apiKey', spec.apiKey?.secretRef);
    case 'AzureAPIKey':
      return reader.apiKey('azureApiKey', spec.azureAPIKey?.secretRef);
    case 'AnthropicAPIKey':
      return reader.apiKey('anthropicApiKey', spec.anthropicAPIKey?.secretRef);
    case 'AWSCredentials':
      return reader.aws(spec);
    case 'AzureCredentials':
      return reader.azure(spec);
    case 'GCPCredentials':
      return reader.gcp(spec);
  }
}

class InlineReader {
  readonly #context: InlineAuthContext;

  constructor(context: InlineAuthContext) {
    this.#context = context;
  }

  /** The value of `key` in Secret `ref` (namespace defaulting to the policy's), if not empty. */
  value(ref: SecretRef, key: string): string | undefined {
    const id = `${ref.namespace ?? this.#context.policy.namespace}/${ref.name}`;
    const secret = this.#context.secret(id);
    const value = secret === undefined ? undefined : secretValue(secret.resource, key);
    // An empty value is no credential (the filter config refuses an empty one).
    return value === '' ? undefined : value;
  }

  /** The value of `key` in a referenced Secret; a problem when it is missing. */
  required(ref: SecretRef | undefined, field: string, key: string): string | undefined {
    if (!ref) return undefined;
    const value = this.value(ref, key);
    if (value === undefined) {
      const id = `${ref.namespace ?? this.#context.policy.namespace}/${ref.name}`;
      this.#context.problem(
        `${this.#context.where}: spec.${field}: Secret ${id} has no key "${key}" (aigw reads the credential from it)`,
      );
    }
    return value;
  }

  /**
   * The credential the controller's rotator wrote under `key` in `ai-eg-bsp-<policy>`. Missing is
   * not an error: the rotator has not written it yet (first reconcile, or a token endpoint down).
   * The backend is then left without auth (requests to it fail upstream's way, 401/403, rather
   * than the whole Gateway's config failing), and writing the Secret is an event that reconciles
   * the policy's routes and Gateways again, which inlines it.
   */
  rotated(key: string): string | undefined {
    return this.value({ name: rotatedSecretName(this.#context.policy.name) }, key);
  }

  apiKey(
    kind: 'apiKey' | 'azureApiKey' | 'anthropicApiKey',
    ref: SecretRef | undefined,
  ): BackendAuth | undefined {
    const key = this.required(ref, kind, 'apiKey');
    if (key === undefined) return undefined;
    switch (kind) {
      case 'apiKey':
        return { apiKey: { key } };
      case 'azureApiKey':
        return { azureApiKey: { key } };
      case 'anthropicApiKey':
        return { anthropicApiKey: { key } };
    }
  }

  aws(spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    const aws = spec.awsCredentials;
    if (aws?.credentialsFile) {
      const ini = this.required(
        aws.credentialsFile.secretRef,
        'awsCredentials.credentialsFile',
        'credentials',
      );
      if (ini === undefined) return undefined;
      const literal = this.#context.defaultProfile(ini, aws.credentialsFile.profile ?? 'default');
      return { aws: { credentialFileLiteral: literal, region: aws.region } };
    }
    if (aws?.oidcExchangeToken) {
      const literal = this.rotated(rotatedSecretKeys.aws);
      return literal === undefined
        ? undefined
        : { aws: { credentialFileLiteral: literal, region: aws.region } };
    }
    this.#context.problem(
      `${this.#context.where}: spec.awsCredentials.credentialsFile: required by aigw (it does not use the AWS SDK default chain)`,
    );
    return undefined;
  }

  azure(spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    const azure = spec.azureCredentials;
    if (!azure?.clientSecretRef && !azure?.oidcExchangeToken) {
      this.#context.problem(
        `${this.#context.where}: spec.azureCredentials: one of clientSecretRef or oidcExchangeToken is required`,
      );
      return undefined;
    }
    const token =
      this.rotated(rotatedSecretKeys.azure) ??
      (azure.clientSecretRef ? this.value(azure.clientSecretRef, 'token') : undefined);
    return token === undefined ? undefined : { azure: { accessToken: token } };
  }

  gcp(spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    const gcp = spec.gcpCredentials;
    const field = 'spec.gcpCredentials';
    if (!gcp || (!gcp.credentialsFile && !gcp.workloadIdentityFederationConfig)) {
      this.#context.problem(
        `${this.#context.where}: ${field}: credentialsFile or workloadIdentityFederationConfig is required by aigw (Application Default Credentials are not supported yet)`,
      );
      return undefined;
    }
    if (gcp.projectName === undefined || gcp.region === undefined) {
      this.#context.problem(
        `${this.#context.where}: ${field}: projectName and region are required by aigw`,
      );
      return undefined;
    }
    const token =
      this.rotated(rotatedSecretKeys.gcp) ??
      (gcp.credentialsFile ? this.value(gcp.credentialsFile.secretRef, 'token') : undefined);
    return token === undefined
      ? undefined
      : { gcp: { accessToken: token, region: gcp.region, projectName: gcp.projectName } };
  }
}
