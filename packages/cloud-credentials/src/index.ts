/**
 * @aigw/cloud-credentials: turns a BackendSecurityPolicy's cloud credential configuration into
 * short-lived credentials and keeps them fresh — AWS OIDC (`AssumeRoleWithWebIdentity`), Azure
 * client secret and OIDC federation, GCP service-account keys and workload identity federation —
 * for the controller (which writes Secret `ai-eg-bsp-<policy>`) and for `aigw run` (which writes
 * the extproc's credential files). See docs/credentials.md.
 */
export {
  awsCredentialsFile,
  exchangeAwsOidc,
  type AwsOidcInput,
  type AwsSessionCredentials,
} from './aws.js';
export {
  azureCognitiveServicesScope,
  exchangeAzureClientSecret,
  exchangeAzureOidc,
  type AzureApp,
} from './azure.js';
export { systemClock, type Clock } from './clock.js';
export {
  CredentialError,
  isCredentialError,
  scrubSecrets,
  type CredentialErrorCode,
} from './errors.js';
export {
  exchangeGcpServiceAccountKey,
  exchangeGcpWorkloadIdentity,
  gcpCloudPlatformScope,
  gcpWorkloadIdentityAudience,
  googleOAuthTokenUrl,
  type GcpWorkloadIdentityInput,
} from './gcp.js';
export { fetchOidcToken, type ExpiringToken, type OidcClientConfig } from './oidc.js';
export type { Endpoints, ExchangeOptions } from './options.js';
export { EndpointEnvError, endpointEnv, endpointsFromEnv } from './endpoints-env.js';
export {
  credentialSecretKeys,
  credentialSecretRefs,
  exchangeFor,
  expirationTimeAnnotation,
  ownsRotatedSecret,
  preRotationWindowMs,
  rotatedSecretName,
  rotationKind,
  type CredentialSecretRef,
  type PolicyInput,
  type RotatedCredential,
  type RotationKind,
  type SecretData,
  type SecretReader,
} from './policy.js';
export { createRotator, type Rotator, type RotatorLog, type RotatorOptions } from './rotator.js';
