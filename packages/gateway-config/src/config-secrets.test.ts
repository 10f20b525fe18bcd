import { describe, expect, it } from 'vitest';
import {
  assembleConfigBundle,
  configBundleIndexName,
  parseConfigBundleIndex,
  parseFilterConfig,
  type FilterConfigInput,
} from '@aigw/filterapi';

import {
  configSecretNames,
  configSecrets,
  filterConfigRoleLabel,
  gatewayNameLabel,
  gatewayNamespaceLabel,
  type ConfigSecret,
} from './config-secrets.js';

const gateway = { gatewayNamespace: 'ns1', gatewayName: 'gateway' };

const small: FilterConfigInput = {
  version: 'v1',
  backends: [
    {
      name: 'ns1/openai/route/r/rule/0/ref/0',
      schema: { name: 'OpenAI' },
      auth: { apiKey: { key: 'sk-1' } },
    },
  ],
  models: [{ name: 'gpt-4o-mini' }],
};

/** A config of `routes` routes whose text is about `routes` × 600 bytes. */
function sized(routes: number): FilterConfigInput {
  return {
    version: 'v1',
    backends: Array.from({ length: routes }, (_, i) => ({
      name: `ns1/backend-${String(i)}/route/route-${String(i)}/rule/0/ref/0`,
      schema: { name: 'OpenAI' as const, prefix: 'v1' },
      auth: { apiKey: { key: `sk-${'x'.repeat(400)}-${String(i)}` } },
    })),
  };
}

const decode = (secret: ConfigSecret | undefined, key: string): Buffer =>
  Buffer.from(secret?.data[key] ?? '', 'base64');

function assemble(secrets: readonly ConfigSecret[]): string {
  const byName = new Map(secrets.map((s) => [s.metadata.name, s]));
  const index = parseConfigBundleIndex(
    decode(byName.get(configBundleIndexName(gateway)), 'index.yaml').toString(),
  );
  return assembleConfigBundle(index, (name) => {
    const part = byName.get(name);
    return part ? decode(part, 'chunk') : undefined;
  });
}

describe('configSecrets', () => {
  const options = { ...gateway, secretNamespace: 'envoy-gateway-system', filterConfig: small };

  it('writes the part, then the index, then the legacy Secret, labelled with the Gateway', () => {
    const { secrets, unusedPartNames, unusedLegacyName } = configSecrets(options);
    expect(secrets.map((s) => [s.metadata.name, s.metadata.labels[filterConfigRoleLabel]])).toEqual(
      [
        [expect.stringMatching(/^gateway-ns1-[0-9a-f]{12}-part-000$/), 'part'],
        [configBundleIndexName(gateway), 'index'],
        ['gateway-ns1', 'legacy'],
      ],
    );
    for (const secret of secrets) {
      expect(secret.metadata.namespace).toBe('envoy-gateway-system');
      expect(secret.metadata.labels[gatewayNameLabel]).toBe('gateway');
      expect(secret.metadata.labels[gatewayNamespaceLabel]).toBe('ns1');
    }
    expect(unusedPartNames).toHaveLength(7);
    expect(unusedPartNames[0]).toMatch(/-part-001$/);
    expect(unusedLegacyName).toBeUndefined();
  });

  it('carries the config, stamped with a content-derived uuid, in the bundle and the legacy Secret', () => {
    const result = configSecrets(options);
    const text = assemble(result.secrets);
    const config = parseFilterConfig(text);
    expect(config.uuid).toBe(result.uuid);
    expect(result.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(config.backends[0]?.auth).toEqual({ apiKey: { key: 'sk-1' } });
    expect(decode(result.secrets[2], 'filter-config.yaml').toString()).toBe(text);
  });

  it('is deterministic: the same input gives the same objects; a change gives a new uuid', () => {
    expect(configSecrets(options)).toEqual(configSecrets(structuredClone(options)));
    const rotated = configSecrets({
      ...options,
      filterConfig: {
        ...small,
        backends: [
          {
            ...small.backends?.[0],
            name: 'ns1/openai/route/r/rule/0/ref/0',
            schema: { name: 'OpenAI' },
            auth: { apiKey: { key: 'sk-2' } },
          },
        ],
      },
    });
    expect(rotated.uuid).not.toBe(configSecrets(options).uuid);
    expect(configSecrets({ ...options, filterConfig: { ...small, uuid: 'given' } }).uuid).toBe(
      'given',
    );
  });

  it('shards a config beyond 700 KiB and drops the legacy Secret beyond 1 MiB', () => {
    const result = configSecrets({ ...options, filterConfig: sized(3000) });
    const parts = result.secrets.filter((s) => s.metadata.labels[filterConfigRoleLabel] === 'part');
    expect(parts.length).toBeGreaterThan(1);
    for (const secret of result.secrets) {
      const bytes = Object.values(secret.data).reduce((n, v) => n + v.length, 0);
      expect(bytes).toBeLessThan(1024 * 1024);
    }
    expect(result.secrets.some((s) => s.metadata.labels[filterConfigRoleLabel] === 'legacy')).toBe(
      false,
    );
    expect(result.unusedLegacyName).toBe('gateway-ns1');
    expect(result.unusedPartNames).toHaveLength(8 - parts.length);
    expect(parseFilterConfig(assemble(result.secrets)).backends).toHaveLength(3000);
  });

  it('keeps label values within 63 characters for long names', () => {
    const long = { gatewayNamespace: 'ns1', gatewayName: 'g'.repeat(100) };
    const [part] = configSecrets({ ...options, ...long }).secrets;
    const value = part?.metadata.labels[gatewayNameLabel] ?? '';
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(/^g{50}-[0-9a-f]{12}$/);
  });
});

describe('configSecretNames', () => {
  it("lists the index, the 8 part slots and the legacy Secret (for a Role's resourceNames)", () => {
    const names = configSecretNames(gateway);
    expect(names).toHaveLength(10);
    expect(names[0]).toBe(configBundleIndexName(gateway));
    expect(names.at(-1)).toBe('gateway-ns1');
    const result = configSecrets({ ...gateway, secretNamespace: 'x', filterConfig: small });
    for (const name of [...result.secrets.map((s) => s.metadata.name), ...result.unusedPartNames]) {
      expect(names).toContain(name);
    }
  });
});
