import { createHash } from 'node:crypto';

import type { FilterConfigInput, LLMRequestCost } from '@aigw/filterapi';
import {
  buildStandalone,
  compareListOrder,
  isResourceError,
  resourcesFromObjects,
  type RateLimitRules,
} from '@aigw/gateway-config';

import type { Kind, KubeObject, ObjectCache } from '../runtime/contracts.js';
import { labelOf } from './objects.js';

/**
 * The kinds the token budgets are generated from, as the extension server lists them
 * (`budgetResources` of apps/extension-server's `kube-routes.ts`), minus BackendTrafficPolicies,
 * which charge no filter-config cost (the controller does not watch them).
 */
const budgetKinds = [
  'AIGatewayRoute',
  'AIServiceBackend',
  'QuotaPolicy',
  'Backend',
  'Gateway',
] as const satisfies readonly Kind[];

/** The metadata keys of the quota costs `@aigw/gateway-config` generates (`aigw_quota_<n>`). */
const quotaCostPrefix = 'aigw_quota_';

/** What the QuotaPolicies of the cache give every Gateway's filter config. */
export interface QuotaCostsResult {
  /** The quota costs (`aigw_quota_<n>`), in the generation's order; none when it failed. */
  readonly costs: readonly LLMRequestCost[];
  /**
   * apps/ratelimit's rules file of the same generation (what `aigw run` writes to its limiter),
   * absent when nothing is limited or the generation failed.
   */
  readonly rules?: RateLimitRules;
  /** The generation's problems, each naming the object and the field; empty when it succeeded. */
  readonly problems: readonly string[];
  /**
   * The extproc's token estimate when a QuotaPolicy reserves at admission (docs/budgets.md),
   * absent otherwise.
   */
  readonly tokenReservation?: FilterConfigInput['tokenReservation'];
}

const none: QuotaCostsResult = { costs: [], problems: [] };

/** Objects of `kind` in the order the API server lists them (namespace, then name). */
function listed(cache: ObjectCache, kind: Kind): KubeObject[] {
  return [...cache.list(kind)].sort(compareListOrder);
}

/**
 * The quota costs of the cluster, from the generation `aigw run` and the extension server use
 * (`buildStandalone` of `@aigw/gateway-config`, whose `llmRequestCosts` end with the quota costs
 * of `QuotaCosts`): run over the same objects in the same order as the extension server's
 * (every AIGatewayRoute, AIServiceBackend, QuotaPolicy, Backend and Gateway, as listed), so the
 * `aigw_quota_<n>` keys its rate-limit entries read are the ones the extproc sets. The numbering
 * spans the whole cluster, so every Gateway gets every quota cost (a cost whose backends a
 * Gateway does not serve is 0 there).
 */
export function quotaCostsOf(objects: readonly KubeObject[]): QuotaCostsResult {
  if (!objects.some((o) => o.kind === 'QuotaPolicy')) return none;
  try {
    const config = buildStandalone(resourcesFromObjects(objects), {
      listenPort: 1,
      adminPort: 1,
      extprocSocket: '/nonexistent/extproc.sock',
      stateDir: '/nonexistent',
      // Only so that the budgets generate; the address reaches nothing the controller writes.
      rateLimit: { host: 'ratelimit', port: 1 },
    });
    const costs = (config.filterConfig.llmRequestCosts ?? []).filter((c) =>
      c.metadataKey.startsWith(quotaCostPrefix),
    );
    const rules = config.rateLimitRules;
    const reservation = config.filterConfig.tokenReservation;
    return {
      costs,
      problems: [],
      ...(rules === undefined ? {} : { rules }),
      ...(reservation === undefined ? {} : { tokenReservation: reservation }),
    };
  } catch (err) {
    if (isResourceError(err)) return { costs: [], problems: err.problems };
    throw err;
  }
}

/**
 * The checksum of what the QuotaPolicies generate (quota costs, limiter rules, problems), which
 * the controller stamps on its HTTPRoutes so that Envoy Gateway translates them again
 * (`quota-stamp.ts`); undefined while no QuotaPolicy exists.
 */
export function quotaChecksumOf(result: QuotaCostsResult): string | undefined {
  if (result === none) return undefined;
  const text = JSON.stringify([
    result.costs,
    result.rules ?? null,
    result.problems,
    result.tokenReservation ?? null,
  ]);
  return createHash('sha256').update(text).digest('base64url');
}

/** What {@link QuotaCosts.of} answers. */
export interface QuotaCostsState {
  readonly result: QuotaCostsResult;
  /** {@link quotaChecksumOf} the result. */
  readonly checksum: string | undefined;
  /** Whether the checksum differs from the one before (costs, rules or problems changed). */
  readonly changed: boolean;
}

/**
 * {@link quotaCostsOf} over the cache, generated again only when an input changed (identity and
 * version of every input object), and free while no QuotaPolicy exists.
 */
export class QuotaCosts {
  #last:
    | {
        readonly fingerprint: string;
        readonly result: QuotaCostsResult;
        readonly checksum?: string;
      }
    | undefined;

  /** The current result and its checksum, and whether the checksum changed since the last call. */
  of(cache: ObjectCache): QuotaCostsState {
    const objects = cache.list('QuotaPolicy').length === 0 ? [] : inputsOf(cache);
    const fingerprint = fingerprintOf(objects);
    const last = this.#last;
    if (last?.fingerprint === fingerprint) {
      return { result: last.result, checksum: last.checksum, changed: false };
    }
    const result = quotaCostsOf(objects);
    const checksum = quotaChecksumOf(result);
    this.#last =
      checksum === undefined ? { fingerprint, result } : { fingerprint, result, checksum };
    return { result, checksum, changed: checksum !== last?.checksum };
  }
}

function inputsOf(cache: ObjectCache): KubeObject[] {
  return budgetKinds.flatMap((kind) => listed(cache, kind));
}

/**
 * Identity and version of every input, hashed: `metadata.generation` where there is one (spec
 * changes only, not the controller's own status and finalizer writes), else `resourceVersion`.
 */
function fingerprintOf(objects: readonly KubeObject[]): string {
  const hash = createHash('sha256');
  for (const o of objects) {
    const { uid, generation, resourceVersion } = o.metadata;
    const version =
      generation === undefined ? `r${resourceVersion ?? ''}` : `g${String(generation)}`;
    hash.update(`${labelOf(o.kind, o)}/${uid ?? ''}/${version}\n`);
  }
  return hash.digest('base64');
}

/**
 * The problems of {@link QuotaCostsResult} that name `policy` (`QuotaPolicy <ns>/<name>: …`), or,
 * when the generation failed on other objects only, one line saying so with theirs.
 */
export function quotaPolicyProblems(result: QuotaCostsResult, policy: KubeObject): string[] {
  if (result.problems.length === 0) return [];
  const where = labelOf('QuotaPolicy', policy);
  const own = result.problems.filter((p) => p.startsWith(`${where}:`));
  if (own.length > 0) return own;
  return [
    `${where}: not charged: the token budgets do not generate: ${result.problems.join('; ')}`,
  ];
}
