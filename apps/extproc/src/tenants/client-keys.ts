import { createHash, timingSafeEqual } from 'node:crypto';
import type { Tenants } from '@aigw/filterapi';
import { errorBody, type Dialect, type ErrorResponse } from '@aigw/translator';

/**
 * Headers a client may carry its key in. All are removed from every request when client keys are
 * configured, so that no client key reaches a provider: the upstream level injects the backend's
 * own credential (docs/budgets.md "Tenants and money budgets").
 */
export const clientKeyHeaders = [
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
] as const;

/** The SHA-256 of a client key as 64 lower-case hex digits: what the config stores. */
export function hashClientKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The key a client sent: `Authorization: Bearer <key>` (OpenAI's SDKs), else `x-api-key`
 * (Anthropic's), `api-key` (Azure OpenAI's) or `x-goog-api-key` (Gemini's); undefined when it
 * sent none. A Gemini client's `?key=` query parameter is read by {@link authenticateClient}.
 */
export function clientKeyOf(headers: ReadonlyMap<string, string>): string | undefined {
  const authorization = headers.get('authorization');
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] !== undefined) return match[1];
  }
  for (const name of ['x-api-key', 'api-key', 'x-goog-api-key']) {
    const value = headers.get(name)?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return undefined;
}

/**
 * The `key` query parameter of a Gemini API path (`?key=…`, what Google's API also accepts); the
 * Gemini ingress never forwards the client's query, so the key goes no further.
 */
export function queryKeyOf(path: string | undefined): string | undefined {
  const query = path?.indexOf('?') ?? -1;
  if (path === undefined || query === -1) return undefined;
  const key = new URLSearchParams(path.slice(query + 1)).get('key')?.trim();
  return key === undefined || key === '' ? undefined : key;
}

/** Digest → tenant, compiled once per config. */
export interface TenantDirectory {
  readonly tenantHeader: string;
  readonly isRequired: boolean;
  /** The tenant of a client key, or undefined for an unknown key. */
  tenantOf(key: string): string | undefined;
}

/** The lookup of a config's client keys. */
export function compileTenants(tenants: Tenants): TenantDirectory {
  const byDigest = new Map<string, { readonly tenant: string; readonly digest: Buffer }>();
  for (const entry of tenants.keys) {
    byDigest.set(entry.sha256, { tenant: entry.tenant, digest: Buffer.from(entry.sha256, 'hex') });
  }
  return {
    tenantHeader: tenants.tenantHeader,
    isRequired: tenants.required,
    tenantOf(key) {
      const digest = createHash('sha256').update(key, 'utf8').digest();
      // The map is keyed by the digest, not the key: its lookup time says nothing about a key an
      // attacker does not already know. The comparison of the found digest is constant-time.
      const found = byDigest.get(digest.toString('hex'));
      return found && timingSafeEqual(found.digest, digest) ? found.tenant : undefined;
    },
  };
}

const compiled = new WeakMap<Tenants, TenantDirectory>();

/** {@link compileTenants}, once per (frozen, shared) config object. */
function directoryOf(tenants: Tenants): TenantDirectory {
  let directory = compiled.get(tenants);
  if (!directory) {
    directory = compileTenants(tenants);
    compiled.set(tenants, directory);
  }
  return directory;
}

/** What the router level does with a request's client key. */
export type TenantDecision =
  | { readonly kind: 'refused'; readonly error: ErrorResponse }
  | {
      readonly kind: 'admitted';
      /** Undefined when the key is unknown (or absent) and keys are not required. */
      readonly tenant: string | undefined;
      readonly set: readonly (readonly [string, string])[];
      readonly remove: readonly string[];
    };

const notConfigured: TenantDecision = { kind: 'admitted', tenant: undefined, set: [], remove: [] };

/**
 * The tenant of a request from its headers: with client keys configured, the key headers and any
 * tenant header the client sent are removed and the tenant header set to the key's tenant; a
 * missing or unknown key is refused with a 401 in the client's dialect when keys are required.
 */
export function authenticateClient(
  tenants: Tenants | undefined,
  request: { readonly headers: ReadonlyMap<string, string>; readonly dialect: Dialect },
): TenantDecision {
  if (!tenants) return notConfigured;
  const directory = directoryOf(tenants);
  const key =
    clientKeyOf(request.headers) ??
    (request.dialect === 'gemini' ? queryKeyOf(request.headers.get(':path')) : undefined);
  const tenant = key === undefined ? undefined : directory.tenantOf(key);
  if (tenant === undefined && directory.isRequired) {
    const message =
      key === undefined
        ? 'missing API key: send it as "Authorization: Bearer <key>" or "x-api-key: <key>"'
        : 'invalid API key';
    return {
      kind: 'refused',
      error: errorBody({ dialect: request.dialect, status: 401, message }),
    };
  }
  const remove = [...clientKeyHeaders, directory.tenantHeader];
  return {
    kind: 'admitted',
    tenant,
    set: tenant === undefined ? [] : [[directory.tenantHeader, tenant]],
    remove: tenant === undefined ? remove : remove.filter((h) => h !== directory.tenantHeader),
  };
}
