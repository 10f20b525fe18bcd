import { describe, expect, it } from 'vitest';
import type { FilterConfigInput } from '@aigw/filterapi';

import { defaultProfile } from './filter-config.js';
import { loadResources } from './resources.js';
import { buildStandalone } from './standalone.js';

const options = {
  listenPort: 1975,
  adminPort: 9901,
  extprocSocket: '/run/aigw/extproc.sock',
  stateDir: '/state',
};

function backends(text: string): NonNullable<FilterConfigInput['backends']> {
  const config = buildStandalone(loadResources([{ path: 'in.yaml', text }]), options);
  return config.filterConfig.backends ?? [];
}

const base = (extra: { backend?: string; ref?: string } = {}): string => `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: r}
spec:
  rules:
    - backendRefs:
        - name: b
${extra.ref ?? ''}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: b}
spec:
  schema: {name: AzureOpenAI, version: 2025-01-01-preview}
  backendRef: {name: b, kind: Backend, group: gateway.envoyproxy.io}
${extra.backend ?? ''}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: b}
spec:
  endpoints: [{fqdn: {hostname: x.openai.azure.com, port: 443}}]
`;

describe('filter config backends', () => {
  it('carries the schema version and no auth without a policy', () => {
    expect(backends(base())).toEqual([
      {
        name: 'default/b/route/r/rule/0/ref/0',
        schema: { name: 'AzureOpenAI', version: '2025-01-01-preview' },
      },
    ]);
  });

  it("merges header and body mutations, the route's backendRef winning", () => {
    const [backend] = backends(
      base({
        backend: `  headerMutation:
    set: [{name: X-Team, value: a}, {name: x-keep, value: k}]
    remove: [x-debug]
  bodyMutation:
    set: [{path: service_tier, value: '"flex"'}]`,
        ref: `          headerMutation:
            set: [{name: x-team, value: b}]
            remove: [x-other]
          bodyMutation:
            remove: [user]`,
      }),
    );
    expect(backend).toMatchObject({
      headerMutation: {
        set: [
          { name: 'x-team', value: 'b' },
          { name: 'x-keep', value: 'k' },
        ],
        remove: ['x-debug', 'x-other'],
      },
      bodyMutation: { set: [{ path: 'service_tier', value: '"flex"' }], remove: ['user'] },
    });
  });

  it("lets the backendRef's remove drop the backend's set of a name, and its set the remove", () => {
    const [backend] = backends(
      base({
        backend: `  headerMutation:
    set: [{name: X-Team, value: a}]
    remove: [X-Debug]
  bodyMutation:
    set: [{path: service_tier, value: '"flex"'}]
    remove: [user]`,
        ref: `          headerMutation:
            set: [{name: x-debug, value: on}]
            remove: [x-team]
          bodyMutation:
            set: [{path: user, value: '"route"'}]
            remove: [service_tier]`,
      }),
    );
    expect(backend).toMatchObject({
      headerMutation: { set: [{ name: 'x-debug', value: 'on' }], remove: ['x-team'] },
      bodyMutation: { set: [{ path: 'user', value: '"route"' }], remove: ['service_tier'] },
    });
  });
});

describe('defaultProfile', () => {
  const ini = `[default]
aws_access_key_id = A
aws_secret_access_key = a

[profile prod]
aws_access_key_id = P
aws_secret_access_key = p
[dev]
aws_access_key_id = D
`;

  it('keeps the file for the default profile', () => {
    expect(defaultProfile(ini, 'default')).toBe(ini);
  });

  it.each([
    ['prod', '[default]\naws_access_key_id = P\naws_secret_access_key = p\n'],
    ['dev', '[default]\naws_access_key_id = D\n'],
  ])('makes profile %s the default one', (profile, expected) => {
    expect(defaultProfile(ini, profile)).toBe(expected);
  });
});
