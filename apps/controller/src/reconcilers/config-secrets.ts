import { configSecretNames, filterConfigRoleLabel } from '@aigw/gateway-config';

import type { KubeObject } from '../runtime/contracts.js';

/**
 * The extproc configuration of one Gateway, as the generation produced it: the config Secrets
 * `aigw translate` emits for that Gateway (`configSecrets` of `@aigw/gateway-config`: the bundle
 * parts, the index, and the legacy single Secret while the config fits; credentials inlined).
 */
export interface GatewayFilterConfig {
  readonly secrets: readonly KubeObject[];
}

/** The Secrets a Gateway's config is written to, and those of its names that must not exist. */
export interface ConfigSecretsPlan {
  /** Written in this order (parts, then the index, then the legacy Secret). */
  readonly secrets: readonly KubeObject[];
  /** Secret names (in {@link ConfigSecretsPlan.namespace}) to delete when present, after writing. */
  readonly stale: readonly string[];
  /** Where they live. */
  readonly namespace: string;
}

/**
 * Lays out a Gateway's extproc config as Secrets; `config` undefined means the Gateway is gone or
 * has no route, so every Secret of it is stale. Swappable (tests, or another delivery path).
 */
export type ConfigSecrets = (
  gateway: { readonly namespace: string; readonly name: string },
  config: GatewayFilterConfig | undefined,
) => ConfigSecretsPlan;

/** The order the extproc needs: parts before the index that lists them; the legacy one last. */
const roleOrder: Readonly<Record<string, number>> = { part: 0, index: 1, legacy: 2 };

const roleOf = (secret: KubeObject): number =>
  roleOrder[secret.metadata.labels?.[filterConfigRoleLabel] ?? ''] ?? 3;

/**
 * The sharded bundle, exactly as `aigw translate` emits it (`configSecrets`): the parts, then the
 * index, then (while the config fits in 1 MiB) the legacy `<gateway>-<namespace>`, all in the
 * Gateway's namespace. Every other name the Gateway's config can have — the part slots this config
 * does not use and, for a config too large for it, the legacy Secret (`configSecrets`'
 * `unusedPartNames` and `unusedLegacyName`) — is stale, and deleted once the new ones are written:
 * an extproc reading the index never finds a part missing, and never reads a legacy Secret older
 * than the bundle.
 */
export const bundleConfigSecrets: ConfigSecrets = (gateway, config) => {
  const all = configSecretNames({ gatewayNamespace: gateway.namespace, gatewayName: gateway.name });
  const secrets = (config?.secrets ?? [])
    .filter((secret) => secret.metadata.namespace === gateway.namespace)
    .sort((a, b) => roleOf(a) - roleOf(b));
  const written = new Set(secrets.map((secret) => secret.metadata.name));
  return {
    secrets,
    stale: all.filter((name) => !written.has(name)),
    namespace: gateway.namespace,
  };
};
