import { configSecretNames, configSecrets, filterConfigRoleLabel } from '@aigw/gateway-config';
import type { FilterConfigInput } from '@aigw/filterapi';

import type { KubeObject } from '../runtime/contracts.js';

/** The extproc configuration of one Gateway: its routes' shares merged, credentials inlined. */
export interface GatewayFilterConfig {
  readonly filterConfig: FilterConfigInput;
}

/** Where a Gateway's config Secrets go, and where they must not be. */
export interface ConfigPlacement {
  /** The namespace of the Gateway's Envoy pods (see `gatewayWorkloads`). */
  readonly namespace: string;
  /** Other namespaces its config may have been written to before (deleted there). */
  readonly others: readonly string[];
}

/** One Secret to delete. */
export interface StaleSecret {
  readonly namespace: string;
  readonly name: string;
}

/** The Secrets a Gateway's config is written to, and those that must not exist. */
export interface ConfigSecretsPlan {
  /** Written in this order (parts, then the index, then the legacy Secret). */
  readonly secrets: readonly KubeObject[];
  /** Deleted when present, after writing. */
  readonly stale: readonly StaleSecret[];
}

/**
 * Lays out a Gateway's extproc config as Secrets; `config` undefined means the Gateway is gone or
 * has no route, so every Secret of it is stale. Swappable (tests, or another delivery path).
 */
export type ConfigSecrets = (
  gateway: { readonly namespace: string; readonly name: string },
  config: GatewayFilterConfig | undefined,
  placement: ConfigPlacement,
) => ConfigSecretsPlan;

/** The order the extproc needs: parts before the index that lists them; the legacy one last. */
const roleOrder: Readonly<Record<string, number>> = { part: 0, index: 1, legacy: 2 };

const roleOf = (secret: KubeObject): number =>
  roleOrder[secret.metadata.labels?.[filterConfigRoleLabel] ?? ''] ?? 3;

/**
 * The sharded bundle, exactly as `aigw translate` lays it out (`configSecrets` of
 * `@aigw/gateway-config`): the parts, then the index, then (while the config fits in 1 MiB) the
 * legacy `<gw>-<ns>`, in the namespace of the Gateway's Envoy pods. Every other name the
 * Gateway's config can have there — the part slots this config does not use and, for a config too
 * large for it, the legacy Secret — and every name of it in the other namespaces is stale, and
 * deleted once the new ones are written: an extproc reading the index never finds a part missing,
 * and never reads a legacy Secret older than the bundle.
 */
export const bundleConfigSecrets: ConfigSecrets = (gateway, config, placement) => {
  const names = configSecretNames({
    gatewayNamespace: gateway.namespace,
    gatewayName: gateway.name,
  });
  const secrets = config
    ? configSecrets({
        gatewayNamespace: gateway.namespace,
        gatewayName: gateway.name,
        secretNamespace: placement.namespace,
        filterConfig: config.filterConfig,
      })
        .secrets.map((secret): KubeObject => ({ ...secret }))
        .sort((a, b) => roleOf(a) - roleOf(b))
    : [];
  const written = new Set(secrets.map((secret) => secret.metadata.name));
  return {
    secrets,
    stale: [
      ...names
        .filter((name) => !written.has(name))
        .map((name) => ({ namespace: placement.namespace, name })),
      ...placement.others
        .filter((namespace) => namespace !== placement.namespace)
        .flatMap((namespace) => names.map((name) => ({ namespace, name }))),
    ],
  };
};
