import { describe, expect, it } from 'vitest';
import type { KubeObject } from './contracts.js';
import {
  policySecretKeys,
  policyTargetKeys,
  referenceGrantKeys,
  routeGatewayKeys,
} from './indexes.js';

function object(kind: string, spec: object): KubeObject {
  return { apiVersion: 'x/v1', kind, metadata: { name: 'p', namespace: 'ns' }, spec };
}

describe('standard indexes', () => {
  it.each([
    ['API key', { apiKey: { secretRef: { name: 's' } } }, ['s.ns']],
    ['Azure API key', { azureAPIKey: { secretRef: { name: 's', namespace: 'o' } } }, ['s.o']],
    ['Anthropic API key', { anthropicAPIKey: { secretRef: { name: 's' } } }, ['s.ns']],
    [
      'AWS credentials file',
      { awsCredentials: { credentialsFile: { secretRef: { name: 'aws' } } } },
      ['aws.ns'],
    ],
    [
      'GCP credentials file',
      { gcpCredentials: { credentialsFile: { secretRef: { name: 'g' } } } },
      ['g.ns'],
    ],
    ['Azure client secret', { azureCredentials: { clientSecretRef: { name: 'az' } } }, ['az.ns']],
    [
      'AWS OIDC (its client secret and, as upstream, the policy itself)',
      { awsCredentials: { oidcExchangeToken: { oidc: { clientSecret: { name: 'oidc' } } } } },
      ['oidc.ns', 'p.ns'],
    ],
  ])('BackendSecurityPolicy secrets: %s', (_title, spec, keys) => {
    expect(policySecretKeys(object('BackendSecurityPolicy', spec))).toEqual(keys);
  });

  it('BackendSecurityPolicy targets: AIServiceBackends in the policy namespace', () => {
    const spec = {
      targetRefs: [
        { name: 'b', kind: 'AIServiceBackend', group: 'aigateway.envoyproxy.io' },
        { name: 'pool', kind: 'InferencePool' },
      ],
    };
    expect(policyTargetKeys(object('BackendSecurityPolicy', spec))).toEqual(['b.ns']);
  });

  it('AIGatewayRoute parents: Gateways only, namespace defaulting to the route', () => {
    const spec = {
      parentRefs: [
        { name: 'gw' },
        { name: 'gw2', namespace: 'infra', kind: 'Gateway' },
        { name: 'svc', kind: 'Service', group: '' },
      ],
    };
    expect(routeGatewayKeys(object('AIGatewayRoute', spec))).toEqual(['gw.ns', 'gw2.infra']);
  });

  it('ReferenceGrant: <grant namespace>.<to kind>', () => {
    expect(
      referenceGrantKeys(
        object('ReferenceGrant', {
          to: [{ group: 'aigateway.envoyproxy.io', kind: 'AIServiceBackend' }],
        }),
      ),
    ).toEqual(['ns.AIServiceBackend']);
  });
});
