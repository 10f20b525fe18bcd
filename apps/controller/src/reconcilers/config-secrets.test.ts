import { configSecrets } from '@aigw/gateway-config';
import { filterConfigVersion } from '@aigw/filterapi';
import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../runtime/contracts.js';
import { bundleConfigSecrets } from './config-secrets.js';

const gateway = { namespace: 'ai', name: 'gw' };

/** What `aigw translate` emits for a config of `models` model names of `size` characters each. */
function generated(models: number, size = 16): KubeObject[] {
  const { secrets } = configSecrets({
    gatewayNamespace: gateway.namespace,
    gatewayName: gateway.name,
    secretNamespace: gateway.namespace,
    filterConfig: {
      version: filterConfigVersion,
      models: Array.from({ length: models }, (_, i) => ({
        name: `${String(i).padStart(6, '0')}${'m'.repeat(size)}`,
        ownedBy: 'o',
      })),
    },
  });
  return secrets.map((secret): KubeObject => ({ ...secret }));
}

const names = (secrets: readonly KubeObject[]): string[] => secrets.map((s) => s.metadata.name);

describe('bundleConfigSecrets', () => {
  it('writes parts, index, legacy in that order and deletes the unused part slots', () => {
    const secrets = generated(2);
    const plan = bundleConfigSecrets(gateway, { secrets: [...secrets].reverse() });
    expect(plan.namespace).toBe('ai');
    expect(names(plan.secrets)).toEqual(names(secrets));
    expect(
      plan.secrets.map((s) => s.metadata.labels?.['aigateway.envoyproxy.io/filter-config']),
    ).toEqual(['part', 'index', 'legacy']);
    expect(plan.stale).toHaveLength(7);
    expect(plan.stale.every((name) => /-part-00[1-7]$/.test(name))).toBe(true);
  });

  it('deletes the legacy Secret of a config too large for it', () => {
    const secrets = generated(12_000, 100); // ~1.6 MiB of config: 3 parts, no legacy
    const plan = bundleConfigSecrets(gateway, { secrets });
    expect(
      plan.secrets.map((s) => s.metadata.labels?.['aigateway.envoyproxy.io/filter-config']),
    ).toEqual(['part', 'part', 'part', 'index']);
    expect(plan.stale).toContain('gw-ai');
    expect(plan.stale).toHaveLength(6);
  });

  it('makes every Secret of a Gateway without config stale', () => {
    const plan = bundleConfigSecrets(gateway, undefined);
    expect(plan.secrets).toEqual([]);
    expect(plan.stale).toHaveLength(10);
    expect(plan.stale).toContain('gw-ai');
  });
});
