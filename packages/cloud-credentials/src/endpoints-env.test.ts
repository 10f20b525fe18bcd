import { describe, expect, it } from 'vitest';
import { endpointsFromEnv } from './endpoints-env.js';

describe('endpointsFromEnv', () => {
  it('maps each AIGW_* variable to its endpoint and leaves the others to the defaults', () => {
    expect(
      endpointsFromEnv({
        AIGW_AWS_STS_URL: 'http://127.0.0.1:1/',
        AIGW_AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us',
        AIGW_GCP_OAUTH_TOKEN_URL: 'http://proxy.internal/token',
        AIGW_GCP_STS_URL: '',
      }),
    ).toEqual({
      awsSts: 'http://127.0.0.1:1/',
      azureAuthorityHost: 'https://login.microsoftonline.us',
      gcpOAuthToken: 'http://proxy.internal/token',
    });
  });

  it("falls back to the Azure SDK's AZURE_AUTHORITY_HOST", () => {
    const gov = 'https://login.microsoftonline.us';
    expect(endpointsFromEnv({ AZURE_AUTHORITY_HOST: gov })).toEqual({ azureAuthorityHost: gov });
    expect(
      endpointsFromEnv({ AZURE_AUTHORITY_HOST: gov, AIGW_AZURE_AUTHORITY_HOST: 'https://proxy' }),
    ).toEqual({ azureAuthorityHost: 'https://proxy' });
  });

  it.each([
    { env: { AIGW_GCP_STS_URL: 'sts.local' }, message: 'AIGW_GCP_STS_URL: not a URL: sts.local' },
    {
      env: { AIGW_AZURE_AUTHORITY_HOST: 'http://login.local' },
      message: 'AIGW_AZURE_AUTHORITY_HOST: must be an https URL, got http://login.local',
    },
    {
      env: { AIGW_AWS_STS_URL: 'ftp://sts.local' },
      message: 'AIGW_AWS_STS_URL: must be an http(s) URL, got ftp://sts.local',
    },
  ])('refuses $message', ({ env, message }) => {
    expect(() => endpointsFromEnv(env)).toThrow(message);
  });
});
