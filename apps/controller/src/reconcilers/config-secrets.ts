import { filterConfigKey } from '@aigw/gateway-config';

import type { KubeObject } from '../runtime/contracts.js';

/** The extproc configuration of one Gateway, as the generation produced it. */
export interface GatewayFilterConfig {
  /** The filter config document (`@aigw/filterapi`), YAML. */
  readonly yaml: string;
  /** Credential files the config names (file name → content; paths under `/etc/filter-config`). */
  readonly credentials: Readonly<Record<string, string>>;
}

/** The Secrets a Gateway's config is written to, and those of its names that must not exist. */
export interface ConfigSecretsPlan {
  readonly secrets: readonly KubeObject[];
  /** Secret names (in {@link ConfigSecretsPlan.namespace}) to delete when present. */
  readonly stale: readonly string[];
  /** Where they live. */
  readonly namespace: string;
}

/**
 * Lays out a Gateway's extproc config as Secrets; `config` undefined means the Gateway is gone or
 * has no route, so every Secret of it is stale. Swappable: the sharded bundle (index + parts with
 * a checksum, `@aigw/filterapi`) replaces {@link legacyConfigSecrets} here.
 */
export type ConfigSecrets = (
  gateway: { readonly namespace: string; readonly name: string },
  config: GatewayFilterConfig | undefined,
) => ConfigSecretsPlan;

/** Upstream's legacy name of a Gateway's config Secret: `<gateway>-<namespace>`. */
export function legacyConfigSecretName(gateway: { namespace: string; name: string }): string {
  return `${gateway.name}-${gateway.namespace}`;
}

/**
 * Upstream's legacy shape, as `aigw translate` writes it: one Secret `<gateway>-<namespace>` in
 * the Gateway's namespace, key `filter-config.yaml` plus one key per credential file. Written as
 * `data` (base64), which is how the API server stores it, so the cached copy compares equal.
 * Limited to 1 MiB by the API server.
 */
export const legacyConfigSecrets: ConfigSecrets = (gateway, config) => {
  const name = legacyConfigSecretName(gateway);
  if (config === undefined) return { secrets: [], stale: [name], namespace: gateway.namespace };
  const entries = { [filterConfigKey]: config.yaml, ...config.credentials };
  const data = Object.fromEntries(
    Object.entries(entries).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  );
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: gateway.namespace },
    type: 'Opaque',
    data,
  };
  return { secrets: [secret], stale: [], namespace: gateway.namespace };
};
