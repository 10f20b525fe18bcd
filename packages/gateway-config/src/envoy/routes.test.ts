import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { loadResources } from '../resources.js';
import { buildStandalone } from '../standalone.js';

const basic = readFileSync(new URL('../testdata/basic.yaml', import.meta.url), 'utf8');

type Json = Record<string, unknown>;

function retryPolicies(text: string): Record<string, Json | undefined> {
  const config = buildStandalone(loadResources([{ path: 'in.yaml', text }]), {
    listenPort: 1975,
    adminPort: 9901,
    extprocSocket: '/run/aigw/extproc.sock',
    stateDir: '/var/lib/aigw',
  });
  const [routeConfig] = config.xds['xds/rds.yaml'].resources.map(
    (r) => JSON.parse(JSON.stringify(r)) as { virtual_hosts: { routes: Json[] }[] },
  );
  const routes = routeConfig?.virtual_hosts[0]?.routes ?? [];
  return Object.fromEntries(
    routes.map((r): [string, Json | undefined] => [
      String(r.name),
      (r.route as Json | undefined)?.retry_policy as Json | undefined,
    ]),
  );
}

describe('retry policies and 429', () => {
  const policies = retryPolicies(basic);

  it('with a fallback tier, moves a 429 to the next tier at once: no rate-limited back-off', () => {
    const policy = policies['default/chat/rule/0/match/0'];
    expect(policy).toMatchObject({
      retry_on: '5xx,reset,connect-failure,refused-stream,retriable-status-codes',
      retriable_status_codes: [429],
      num_retries: 1,
    });
    expect(policy).not.toHaveProperty('rate_limited_retry_back_off');
    expect(policy).not.toHaveProperty('retry_back_off');
  });

  it('without a fallback tier, retries nothing: a 429 reaches the client with its retry-after', () => {
    // Rule 1 has one backend and a request timeout only: no retry policy at all.
    expect(policies['default/chat/rule/1/match/0']).toBeUndefined();
    const withPerTry = retryPolicies(
      basic.replace(
        /timeouts:\n(\s+)request: (\S+)/,
        'timeouts:\n$1request: $2\n$1backendRequest: 5s',
      ),
    )['default/chat/rule/1/match/0'];
    expect(withPerTry).toMatchObject({ num_retries: 0, per_try_timeout: '5s' });
    expect(withPerTry).not.toHaveProperty('retriable_status_codes');
  });
});
