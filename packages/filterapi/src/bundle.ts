import { createHash } from 'node:crypto';

import { parse, stringify } from 'yaml';
import { z } from 'zod';

import { filterConfigVersion } from './version.js';

// The sharded form of a filter config, as upstream's controller writes it into Secrets
// (`internal/controller/filter_config_bundle.go`): the YAML text cut into byte chunks of at most
// 700 KiB, one Secret per chunk (key `chunk`) and an index Secret (key `index.yaml`) that lists
// the parts in order with their sizes and the SHA-256 of the whole text. A Kubernetes object is
// limited to 1 MiB (etcd's request limit, minus metadata), so one Secret cannot hold the config of
// a large Gateway; 8 parts of 700 KiB hold 5.6 MiB.

/** The Secret key of the bundle index (upstream `filterapi.ConfigBundleIndexFileName`). */
export const configBundleIndexKey = 'index.yaml';

/** The Secret key of a bundle part (upstream `FilterConfigBundlePartKey`). */
export const configBundlePartKey = 'chunk';

/** The Secret key of the legacy single-Secret config (upstream `filter-config.yaml`). */
export const legacyFilterConfigKey = 'filter-config.yaml';

/** Upstream's part size: comfortably below the 1 MiB object limit once base64 is not involved. */
export const defaultMaxPartBytes = 700 * 1024;

/** Upstream's slot count: the pod mounts this many optional part Secrets. */
export const defaultMaxParts = 8;

/** Kubernetes object names (DNS subdomain) are at most this long. */
const maxObjectNameLength = 253;

const partSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Where the part sits in a mounted bundle directory: `parts/NNN`. */
    path: z.string().min(1).optional(),
    // Upstream omits it for an empty part (`omitempty`).
    sizeBytes: z.number().int().min(0).default(0),
  })
  .readonly();

/**
 * The bundle index (`index.yaml`): which parts, in which order, make up the config text and the
 * SHA-256 (lower-case hex) of that text. `version` is the filter-config contract version of the
 * writer (upstream writes its product version there; readers do not compare it, the config's own
 * `version` decides), `uuid` the config generation, as in the config's `uuid`.
 */
// Not strict: upstream's index may carry `createdAt`, and a newer writer may add fields a reader
// can ignore (the parts and the checksum decide).
export const ConfigBundleIndexSchema = z
  .object({
    version: z.string(),
    uuid: z.string(),
    checksum: z
      .string()
      .toLowerCase()
      .regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256 in hex' }),
    parts: z.array(partSchema).min(1, { error: 'must list at least one part' }).readonly(),
  })
  .readonly();

/** A parsed bundle index; see {@link ConfigBundleIndexSchema}. */
export type ConfigBundleIndex = z.output<typeof ConfigBundleIndexSchema>;

/** One entry of {@link ConfigBundleIndex.parts}. */
export type ConfigBundlePart = z.output<typeof partSchema>;

/**
 * Why a bundle could not be built or put back together:
 * - `too_many_parts`: the config needs more than `maxParts` parts;
 * - `missing_index`: a bundle directory has no `index.yaml`;
 * - `invalid_index`: the index is not YAML, lacks a field or names a part path outside the
 *   bundle directory;
 * - `missing_part`: a part the index lists is not there (yet);
 * - `part_size_mismatch`: a part's size differs from the index (a write in progress, or an
 *   index from another generation);
 * - `checksum_mismatch`: the parts put together do not hash to the index's checksum.
 */
export type ConfigBundleErrorCode =
  | 'too_many_parts'
  | 'missing_index'
  | 'invalid_index'
  | 'missing_part'
  | 'part_size_mismatch'
  | 'checksum_mismatch';

/** A bundle was rejected; the message names the part or the mismatch, never config content. */
export class ConfigBundleError extends Error {
  override readonly name = 'ConfigBundleError';
  readonly code: ConfigBundleErrorCode;

  constructor(code: ConfigBundleErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Structural guard for {@link ConfigBundleError} that does not rely on `instanceof`. */
export function isConfigBundleError(err: unknown): err is ConfigBundleError {
  return err instanceof Error && err.name === 'ConfigBundleError' && 'code' in err;
}

/** The lower-case hex SHA-256 of `data` (a string is hashed as UTF-8). */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Upstream's `shortStableHash`: the first 6 bytes of sha256(`<ns>/<gw>`), 12 hex characters. */
function gatewayHash(gateway: GatewayName): string {
  return sha256Hex(`${gateway.gatewayNamespace}/${gateway.gatewayName}`).slice(0, 12);
}

/** A Gateway by namespace and name. */
export interface GatewayName {
  readonly gatewayNamespace: string;
  readonly gatewayName: string;
}

const trimDashes = (s: string): string => s.replace(/^-+|-+$/g, '');

/**
 * The index Secret's name, `<gw>-<ns>-<h12>`, truncated to 253 characters before the hash as
 * upstream's `FilterConfigBundleIndexSecretName` does (e.g. `gateway-ns1-c6d39be275c7`).
 */
export function configBundleIndexName(gateway: GatewayName): string {
  const hash = gatewayHash(gateway);
  const base = trimDashes(`${gateway.gatewayName}-${gateway.gatewayNamespace}`);
  const name = `${base}-${hash}`;
  if (name.length <= maxObjectNameLength) return name;
  const trimmed = trimDashes(base.slice(0, maxObjectNameLength - 1 - hash.length));
  return trimmed === '' ? hash : `${trimmed}-${hash}`;
}

/** Part `index`'s Secret name, `<gw>-<ns>-<h12>-part-NNN` (upstream's truncation rule). */
export function configBundlePartName(gateway: GatewayName, index: number): string {
  const hash = gatewayHash(gateway);
  const suffix = `-part-${partNumber(index)}`;
  let base = `${gateway.gatewayName}-${gateway.gatewayNamespace}`;
  const maxBase = maxObjectNameLength - hash.length - suffix.length - 1;
  if (base.length > maxBase) base = base.slice(0, maxBase).replace(/-+$/, '');
  return `${base}-${hash}${suffix}`;
}

/** The legacy single Secret's name, `<gw>-<ns>` (upstream `FilterConfigSecretPerGatewayName`). */
export function legacyConfigSecretName(gateway: GatewayName): string {
  return `${gateway.gatewayName}-${gateway.gatewayNamespace}`;
}

/** Where part `index` sits in a mounted bundle directory: `parts/NNN`. */
export function configBundlePartPath(index: number): string {
  return `parts/${partNumber(index)}`;
}

const partNumber = (index: number): string => String(index).padStart(3, '0');

/** Options of {@link toConfigBundle}. */
export interface ConfigBundleOptions extends GatewayName {
  /** Largest part in bytes (default {@link defaultMaxPartBytes}). */
  readonly maxPartBytes?: number;
  /** Most parts (default {@link defaultMaxParts}). */
  readonly maxParts?: number;
  /** The config generation written into the index (default: the config text's checksum). */
  readonly uuid?: string;
}

/** A config cut into parts, with its index: what the Secrets of a bundle carry. */
export interface ConfigBundle {
  readonly index: ConfigBundleIndex;
  /** The index as YAML, the value of {@link configBundleIndexKey}. */
  readonly indexText: string;
  /** The parts' bytes in index order, the values of {@link configBundlePartKey}. */
  readonly parts: readonly { readonly name: string; readonly data: Buffer }[];
}

/**
 * Cuts a filter config text into parts of at most `maxPartBytes` bytes (UTF-8; a cut may fall
 * inside a character, the parts are bytes) and builds the index. Deterministic: the same text
 * and options give the same bundle. An empty text gives one empty part, as upstream.
 *
 * @throws ConfigBundleError `too_many_parts` when the text needs more than `maxParts` parts.
 */
export function toConfigBundle(text: string, options: ConfigBundleOptions): ConfigBundle {
  const maxPartBytes = options.maxPartBytes ?? defaultMaxPartBytes;
  const maxParts = options.maxParts ?? defaultMaxParts;
  const payload = Buffer.from(text, 'utf8');
  const count = Math.max(1, Math.ceil(payload.length / maxPartBytes));
  if (count > maxParts) {
    throw new ConfigBundleError(
      'too_many_parts',
      `filter config of ${String(payload.length)} bytes needs ${String(count)} parts of at most ${String(maxPartBytes)} bytes; at most ${String(maxParts)} are allowed`,
    );
  }
  const parts = Array.from({ length: count }, (_, i) => ({
    name: configBundlePartName(options, i),
    data: payload.subarray(i * maxPartBytes, (i + 1) * maxPartBytes),
  }));
  const checksum = sha256Hex(payload);
  const index: ConfigBundleIndex = {
    version: filterConfigVersion,
    uuid: options.uuid ?? checksum,
    checksum,
    parts: parts.map((part, i) => ({
      name: part.name,
      path: configBundlePartPath(i),
      sizeBytes: part.data.length,
    })),
  };
  return { index, indexText: stringify(index), parts };
}

/**
 * Parses an index text (`index.yaml`).
 *
 * @throws ConfigBundleError `invalid_index`, naming the first problem.
 */
export function parseConfigBundleIndex(text: string): ConfigBundleIndex {
  let document: unknown;
  try {
    document = parse(text, { strict: true, uniqueKeys: true });
  } catch (err) {
    throw new ConfigBundleError('invalid_index', 'bundle index: not valid YAML', { cause: err });
  }
  const result = ConfigBundleIndexSchema.safeParse(document);
  if (!result.success) {
    const [issue] = result.error.issues;
    const where = issue ? z.core.toDotPath(issue.path) || '(root)' : '(root)';
    throw new ConfigBundleError(
      'invalid_index',
      `bundle index: ${where}: ${issue?.message ?? 'invalid'}`,
      { cause: result.error },
    );
  }
  return result.data;
}

/**
 * Puts a bundle's parts back together and checks them against the index: every listed part
 * present (`part` returns its bytes, or undefined when it is not there), each of the listed size,
 * and the whole hashing to the index's checksum. Returns the config text (UTF-8), which the caller
 * parses with `parseFilterConfig`.
 *
 * @throws ConfigBundleError `missing_part`, `part_size_mismatch` or `checksum_mismatch`.
 */
export function assembleConfigBundle(
  index: ConfigBundleIndex,
  part: (name: string) => Uint8Array | undefined,
): string {
  const chunks = index.parts.map((entry) => {
    const data = part(entry.name);
    if (data === undefined) {
      throw new ConfigBundleError('missing_part', `bundle part ${entry.name} is missing`);
    }
    if (data.length !== entry.sizeBytes) {
      throw new ConfigBundleError(
        'part_size_mismatch',
        `bundle part ${entry.name} has ${String(data.length)} bytes, the index says ${String(entry.sizeBytes)}`,
      );
    }
    return data;
  });
  const payload = Buffer.concat(chunks);
  const actual = sha256Hex(payload);
  if (actual !== index.checksum) {
    throw new ConfigBundleError(
      'checksum_mismatch',
      `bundle checksum mismatch: the index says ${index.checksum}, the parts hash to ${actual}`,
    );
  }
  return payload.toString('utf8');
}
