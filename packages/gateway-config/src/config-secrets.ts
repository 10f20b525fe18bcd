import {
  configBundleIndexKey,
  configBundleIndexName,
  configBundlePartKey,
  configBundlePartName,
  defaultMaxParts,
  legacyConfigSecretName,
  legacyFilterConfigKey,
  sha256Hex,
  toConfigBundle,
  type FilterConfigInput,
  type GatewayName,
} from '@aigw/filterapi';

/** The label naming the Gateway a config Secret belongs to. */
export const gatewayNameLabel = 'aigateway.envoyproxy.io/gateway-name';

/** The label naming that Gateway's namespace. */
export const gatewayNamespaceLabel = 'aigateway.envoyproxy.io/gateway-namespace';

/** The label saying which piece of the config a Secret holds: `index`, `part` or `legacy`. */
export const filterConfigRoleLabel = 'aigateway.envoyproxy.io/filter-config';

/** Which piece of a Gateway's filter config a Secret holds. */
export type FilterConfigRole = 'index' | 'part' | 'legacy';

/**
 * A Secret of a Gateway's extproc config, as written: values in `data` (base64), the form the
 * API server returns, so a stored Secret compares equal to the desired one field for field.
 */
export type ConfigSecret = {
  readonly apiVersion: 'v1';
  readonly kind: 'Secret';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly type: 'Opaque';
  readonly data: Readonly<Record<string, string>>;
};

/** Options of {@link configSecrets}. */
export interface ConfigSecretsOptions extends GatewayName {
  /** Where the Gateway's Envoy pods (and so their extprocs) run. */
  readonly secretNamespace: string;
  /** The Gateway's filter config; without a `uuid`, one derived from its content is stamped. */
  readonly filterConfig: FilterConfigInput;
}

/** What {@link configSecrets} returns. */
export interface ConfigSecrets {
  /**
   * The Secrets to write, **in this order**: the parts, then the index, then (when the config
   * fits) the legacy single Secret. The extproc applies a bundle only when the index and every
   * part it lists agree (sizes and checksum), so writing the parts first means it never waits on
   * an index that points at parts not yet written.
   */
  readonly secrets: readonly ConfigSecret[];
  /** Part slots this config does not use: delete them after writing {@link secrets}. */
  readonly unusedPartNames: readonly string[];
  /** The legacy Secret's name when the config no longer fits in it (delete it), else none. */
  readonly unusedLegacyName: string | undefined;
  /** The config generation (the index's and the config's `uuid`). */
  readonly uuid: string;
  /** SHA-256 of the config text. */
  readonly checksum: string;
}

/** A Kubernetes object is limited to 1 MiB; leave room for the metadata. */
const maxLegacyDataBytes = 1024 * 1024 - 16 * 1024;

/** Label values are at most 63 characters: longer names are cut and given a hash suffix. */
function labelValue(value: string): string {
  if (value.length <= 63) return value;
  return `${value.slice(0, 50).replace(/[-_.]+$/, '')}-${sha256Hex(value).slice(0, 12)}`;
}

/**
 * The labels naming a Gateway on what is written for it (its config Secrets, its extproc's Role):
 * {@link gatewayNameLabel} and {@link gatewayNamespaceLabel}, values cut to 63 characters.
 */
export function gatewayLabels(gateway: GatewayName): Record<string, string> {
  return {
    [gatewayNameLabel]: labelValue(gateway.gatewayName),
    [gatewayNamespaceLabel]: labelValue(gateway.gatewayNamespace),
  };
}

const base64 = (data: string | Uint8Array): string => Buffer.from(data).toString('base64');

/**
 * The Secrets that carry one Gateway's extproc config, in the namespace of its Envoy pods:
 * upstream's bundle (parts `<gw>-<ns>-<h12>-part-NNN`, key `chunk`, of at most 700 KiB; index
 * `<gw>-<ns>-<h12>`, key `index.yaml`) plus upstream's legacy single Secret `<gw>-<ns>` (key
 * `filter-config.yaml`) while the config fits in one object. The config is written as JSON (valid
 * YAML, and parsed ~100 times faster by the extproc than YAML: a 2,000-route config in tens of
 * milliseconds instead of a second). Each Secret is labelled with the Gateway
 * ({@link gatewayNameLabel}, {@link gatewayNamespaceLabel}) and its role.
 *
 * Deterministic: the same options give the same objects, byte for byte, so a controller that
 * compares them with what is stored writes nothing when nothing changed. Without a `uuid` in the
 * config, its uuid is derived from the content.
 *
 * @throws ConfigBundleError `too_many_parts` for a config beyond 8 parts (5.6 MiB).
 */
export function configSecrets(options: ConfigSecretsOptions): ConfigSecrets {
  const { filterConfig, secretNamespace } = options;
  const { uuid: given, version, ...rest } = filterConfig;
  const uuid = given ?? contentUuid(JSON.stringify({ version, ...rest }));
  const text = JSON.stringify({ version, uuid, ...rest });
  const bundle = toConfigBundle(text, { ...options, uuid });
  const secret = (name: string, role: FilterConfigRole, data: Record<string, string>) =>
    ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name,
        namespace: secretNamespace,
        labels: { ...gatewayLabels(options), [filterConfigRoleLabel]: role },
      },
      type: 'Opaque',
      data,
    }) as const satisfies ConfigSecret;
  const legacyData = base64(text);
  const fitsLegacy = legacyData.length <= maxLegacyDataBytes;
  const legacyName = legacyConfigSecretName(options);
  return {
    secrets: [
      ...bundle.parts.map((part) =>
        secret(part.name, 'part', { [configBundlePartKey]: base64(part.data) }),
      ),
      secret(configBundleIndexName(options), 'index', {
        [configBundleIndexKey]: base64(bundle.indexText),
      }),
      ...(fitsLegacy
        ? [secret(legacyName, 'legacy', { [legacyFilterConfigKey]: legacyData })]
        : []),
    ],
    unusedPartNames: Array.from({ length: defaultMaxParts - bundle.parts.length }, (_, i) =>
      configBundlePartName(options, bundle.parts.length + i),
    ),
    unusedLegacyName: fitsLegacy ? undefined : legacyName,
    uuid,
    checksum: bundle.index.checksum,
  };
}

/**
 * Every Secret name a Gateway's extproc may read: the index, all 8 part slots and the legacy
 * Secret. What a Role's `resourceNames` lists so that the extproc can get and watch exactly
 * these (watches by `metadata.name` field selector are authorized against `resourceNames`).
 */
export function configSecretNames(gateway: GatewayName): string[] {
  return [
    configBundleIndexName(gateway),
    ...Array.from({ length: defaultMaxParts }, (_, i) => configBundlePartName(gateway, i)),
    legacyConfigSecretName(gateway),
  ];
}

/** A UUID-shaped generation id derived from `text` (stable across controller restarts). */
function contentUuid(text: string): string {
  const hex = sha256Hex(text);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
