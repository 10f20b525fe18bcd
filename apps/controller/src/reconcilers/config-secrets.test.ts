import { filterConfigVersion, type FilterConfigInput } from '@aigw/filterapi';
import { describe, expect, it } from 'vitest';

import type { KubeObject } from '../runtime/contracts.js';
import { bundleConfigSecrets } from './config-secrets.js';

const gateway = { namespace: 'ai', name: 'gw' };
const here = { namespace: 'ai', others: ['ai', 'envoy-gateway-system'] };

/** A config of `models` model names of `size` characters each. */
function config(models: number, size = 16): { filterConfig: FilterConfigInput } {
  return {
    filterConfig: {
      version: filterConfigVersion,
      models: Array.from({ length: models }, (_, i) => ({
        name: `${String(i).padStart(6, '0')}${'m'.repeat(size)}`,
        ownedBy: 'o',
      })),
    },
  };
}

const names = (secrets: readonly KubeObject[]): string[] => secrets.map((s) => s.metadata.name);
const roles = (secrets: readonly KubeObject[]): (string | undefined)[] =>
  secrets.map((s) => s.metadata.labels?.['aigateway.envoyproxy.io/filter-config']);

describe('bundleConfigSecrets', () => {
  it('writes parts, index, legacy in that order and deletes the unused part slots', () => {
    const plan = bundleConfigSecrets(gateway, config(2), here);
    expect(roles(plan.secrets)).toEqual(['part', 'index', 'legacy']);
    expect(names(plan.secrets)).toEqual([
      'gw-ai-05bb89071163-part-000',
      'gw-ai-05bb89071163',
      'gw-ai',
    ]);
    expect(plan.secrets.every((s) => s.metadata.namespace === 'ai')).toBe(true);
    // The 7 unused part slots here, and all 10 names in Envoy Gateway's namespace.
    const stale = plan.stale.map((s) => `${s.namespace}/${s.name}`);
    expect(stale.filter((s) => s.startsWith('ai/'))).toHaveLength(7);
    expect(stale.filter((s) => s.startsWith('ai/')).every((s) => /-part-00[1-7]$/.test(s))).toBe(
      true,
    );
    expect(stale.filter((s) => s.startsWith('envoy-gateway-system/'))).toHaveLength(10);
  });

  it("writes in the proxies' namespace and makes the Gateway's own stale", () => {
    const plan = bundleConfigSecrets(gateway, config(2), {
      namespace: 'envoy-gateway-system',
      others: here.others,
    });
    expect(plan.secrets.every((s) => s.metadata.namespace === 'envoy-gateway-system')).toBe(true);
    expect(plan.stale.filter((s) => s.namespace === 'ai')).toHaveLength(10);
    expect(plan.stale.filter((s) => s.namespace === 'envoy-gateway-system')).toHaveLength(7);
  });

  it('deletes the legacy Secret of a config too large for it', () => {
    const plan = bundleConfigSecrets(gateway, config(12_000, 100), { ...here, others: [] }); // ~1.6 MiB: 3 parts, no legacy
    expect(roles(plan.secrets)).toEqual(['part', 'part', 'part', 'index']);
    expect(plan.stale.map((s) => s.name)).toContain('gw-ai');
    expect(plan.stale).toHaveLength(6);
  });

  it('makes every Secret of a Gateway without config stale', () => {
    const plan = bundleConfigSecrets(gateway, undefined, { ...here, others: [] });
    expect(plan.secrets).toEqual([]);
    expect(plan.stale).toHaveLength(10);
    expect(plan.stale.map((s) => s.name)).toContain('gw-ai');
  });
});
