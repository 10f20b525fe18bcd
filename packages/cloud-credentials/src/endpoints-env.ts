import type { Endpoints } from './options.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment variables that point the token services elsewhere (a proxy, a sovereign cloud,
 * a private endpoint, a test's fakes): one per {@link Endpoints} field.
 */
export const endpointEnv = {
  awsSts: 'AIGW_AWS_STS_URL',
  azureAuthorityHost: 'AIGW_AZURE_AUTHORITY_HOST',
  gcpOAuthToken: 'AIGW_GCP_OAUTH_TOKEN_URL',
  gcpSts: 'AIGW_GCP_STS_URL',
  gcpIamCredentials: 'AIGW_GCP_IAM_CREDENTIALS_URL',
} as const satisfies Record<keyof Endpoints, string>;

/** An endpoint variable that is not a usable URL. */
export class EndpointEnvError extends Error {
  override readonly name = 'EndpointEnvError';
  readonly code = 'invalid-endpoint';
}

/** Variables of the clouds' own SDKs read when the `AIGW_*` one is unset. */
const sdkEnv: Partial<Record<keyof Endpoints, string>> = {
  azureAuthorityHost: 'AZURE_AUTHORITY_HOST',
};

/**
 * The token endpoints set in `env` ({@link endpointEnv}, else the Azure SDK's
 * `AZURE_AUTHORITY_HOST`); unset or empty variables keep the public cloud's.
 *
 * @throws EndpointEnvError naming the variable when a value is not an http(s) URL, or the Azure
 * authority host is not HTTPS (@azure/identity refuses anything else).
 */
export function endpointsFromEnv(env: Env): Endpoints {
  const endpoints: Record<string, string> = {};
  for (const [field, own] of Object.entries(endpointEnv)) {
    const fallback = sdkEnv[field as keyof Endpoints];
    const name = env[own] || fallback === undefined ? own : fallback;
    const value = env[name];
    if (value === undefined || value === '') continue;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new EndpointEnvError(`${name}: not a URL: ${value}`);
    }
    const https = url.protocol === 'https:';
    if (!https && (url.protocol !== 'http:' || field === 'azureAuthorityHost')) {
      const wanted = field === 'azureAuthorityHost' ? 'an https' : 'an http(s)';
      throw new EndpointEnvError(`${name}: must be ${wanted} URL, got ${value}`);
    }
    endpoints[field] = value;
  }
  return endpoints;
}
