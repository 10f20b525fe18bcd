import type { HeaderMatch, QuotaDefinition, QuotaPolicy, QuotaValue } from '@aigw/api';
import type { LLMRequestCost, TokenReservation } from '@aigw/filterapi';

import { checkLimit } from './budget-limit.js';
import { durationMs } from './duration.js';
import { HardBudgets, type AnnotatedPolicy } from './hard-budgets.js';
import { metadataNamespace, rateLimitDomain } from './envoy/names.js';
import type { RateLimitAction, RouteRateLimit } from './envoy/types.js';
import type { BackendTrafficPolicy, RateLimitRule } from './kube-types.js';
import { modelHeader, type Plan, type PlannedRule } from './plan.js';
import { selectorAction, selectorKey, type Selector } from './rate-limit-selectors.js';
import { objectLabel, type Loaded } from './resource-set.js';

/** A window of the limiter (apps/ratelimit's, envoyproxy/ratelimit's lower-case `unit`). */
export type RateLimitUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

/** The limit of a descriptor (`rate_limit:`). */
export interface RateLimitValue {
  readonly unit: RateLimitUnit;
  readonly requests_per_unit: number;
  /** apps/ratelimit's calendar window in this IANA time zone (unit day or longer). */
  readonly calendar_time_zone?: string;
}

/**
 * One descriptor of the rules file: a key (and value), and either a limit (a leaf, optionally in
 * shadow mode) or nested descriptors.
 */
export type RateLimitDescriptor = {
  readonly key: string;
  readonly value?: string;
} & (
  | { readonly rate_limit: RateLimitValue; readonly shadow_mode?: boolean }
  | { readonly descriptors: readonly RateLimitDescriptor[] }
);

/** The apps/ratelimit rules file (envoyproxy/ratelimit's YAML shape), one domain. */
export interface RateLimitRules {
  readonly domain: string;
  readonly descriptors: readonly RateLimitDescriptor[];
}

/** The rate limits of a plan: the limiter's rules and the matching Envoy route entries. */
export interface RateLimitResult {
  /** The apps/ratelimit rules file (one domain), when anything is limited. */
  readonly rules: RateLimitRules | undefined;
  /** Envoy `RateLimit` entries per rule id (for RateLimitPerRoute). */
  readonly routeRateLimits: ReadonlyMap<string, readonly RouteRateLimit[]>;
  /** Filter-config costs the limits charge (quota cost expressions). */
  readonly costs: readonly LLMRequestCost[];
  readonly needsRateLimit: boolean;
  /**
   * The extproc's token estimate (filterapi `tokenReservation`) when any limit reserves at
   * admission (docs/budgets.md); the filter config must carry it, or the reserving entries are
   * dropped by Envoy and only their check applies.
   */
  readonly tokenReservation: TokenReservation | undefined;
  /** `<file>: <Kind> <ns>/<name>` of every object that needs the limiter. */
  readonly owners: readonly string[];
  readonly problems: readonly string[];
}

/** How many units one request adds, on the request path or when the response stream ends. */
type Hits = { readonly number: number } | { readonly format: string };

/** One limit: one counter per window (per distinct header value for `Distinct` selectors). */
interface Limit {
  /** Unique id: the first descriptor entry (`limit=<id>`). */
  readonly id: string;
  readonly selectors: readonly Selector[];
  readonly unit: RateLimitUnit;
  readonly requestsPerUnit: number;
  readonly shadow: boolean;
  /** Request-path entry's hits; undefined = Envoy's default of 1 per request. */
  readonly requestHits: Hits | undefined;
  /** Stream-done entry's hits; undefined = no stream-done entry. */
  readonly responseHits: Hits | undefined;
  /** Reserve the extproc's token estimate at admission, reconcile when the stream ends. */
  readonly reserve: boolean;
  /** A calendar window in this time zone (the policy's {@link calendarTimeZoneAnnotation}). */
  readonly calendarTimeZone?: string | undefined;
  /** The stream-done charge is the response's total tokens (what a reservation estimates). */
  readonly chargesTotalTokens: boolean;
  /** The rule ids (Envoy routes) the limit applies to. */
  readonly ruleIds: readonly string[];
}

/** Envoy Gateway's units, as the limiter spells them. */
const lowerUnit: Readonly<Record<RateLimitRule['limit']['unit'], RateLimitUnit>> = {
  Second: 'second',
  Minute: 'minute',
  Hour: 'hour',
  Day: 'day',
  Month: 'month',
  Year: 'year',
};

const windowUnits: ReadonlyMap<number, RateLimitUnit> = new Map<number, RateLimitUnit>([
  [1_000, 'second'],
  [60_000, 'minute'],
  [3_600_000, 'hour'],
  [86_400_000, 'day'],
  [604_800_000, 'week'],
]);

/**
 * Token budgets and request limits: Envoy Gateway `BackendTrafficPolicy` global rate limits
 * (the token-limit pattern of upstream's examples: `cost.request` 0 checks, `cost.response` from
 * metadata charges when the stream ends) and `QuotaPolicy` quotas (a cost expression per backend
 * and model, charged the same way). Each limit becomes a descriptor tree in one rules file of
 * domain `ai-gateway`, and two Envoy `RateLimit` entries on the routes it covers, in
 * `RateLimitPerRoute` (where Envoy honours `hits_addend`).
 */
export function buildRateLimits(plan: Plan): RateLimitResult {
  const problems: string[] = [];
  const owners: string[] = [];
  const limits: Limit[] = [];
  const reservation = new ReservationSettings();
  for (const policy of plan.resources.backendTrafficPolicies) {
    const found = reservation.apply(
      policy,
      withCalendar(policy, trafficPolicyLimits(plan, policy, problems), problems),
      problems,
    );
    if (found.length > 0)
      owners.push(`${policy.file}: ${objectLabel('BackendTrafficPolicy', policy)}`);
    limits.push(...found);
  }
  const quota = new QuotaCosts();
  for (const policy of plan.resources.quotaPolicies) {
    const found = reservation.apply(
      policy,
      withCalendar(policy, quotaPolicyLimits(plan, policy, { problems, costs: quota }), problems),
      problems,
    );
    if (found.length > 0) owners.push(`${policy.file}: ${objectLabel('QuotaPolicy', policy)}`);
    limits.push(...found);
  }
  const routeRateLimits = new Map<string, RouteRateLimit[]>();
  for (const limit of limits) {
    for (const ruleId of limit.ruleIds) {
      const entries = routeRateLimits.get(ruleId) ?? [];
      entries.push(...envoyEntries(limit));
      routeRateLimits.set(ruleId, entries);
    }
  }
  return {
    rules:
      limits.length === 0
        ? undefined
        : { domain: rateLimitDomain, descriptors: limits.map(descriptorTree) },
    routeRateLimits,
    costs: quota.costs,
    needsRateLimit: limits.length > 0,
    tokenReservation: reservation.settings,
    owners,
    problems,
  };
}

/** The Envoy actions of a limit; their order is the descriptor's entry order. */
function actions(limit: Limit): RateLimitAction[] {
  return [
    { generic_key: { descriptor_key: 'limit', descriptor_value: limit.id } },
    ...limit.selectors.map((s, j) => selectorAction(s, selectorKey(j))),
  ];
}

const hitsAddend = (hits: Hits): Hits =>
  'number' in hits ? { number: hits.number } : { format: hits.format };

/** The request-path entry and, with a response cost, the stream-done entry (identical actions). */
function envoyEntries(limit: Limit): RouteRateLimit[] {
  const acts = actions(limit);
  if (limit.reserve && limit.responseHits !== undefined) return reservingEntries(acts, limit);
  const entries: RouteRateLimit[] = [
    {
      actions: acts,
      ...(limit.requestHits === undefined ? {} : { hits_addend: hitsAddend(limit.requestHits) }),
    },
  ];
  if (limit.responseHits !== undefined) {
    entries.push({
      actions: acts,
      apply_on_stream_done: true,
      hits_addend: hitsAddend(limit.responseHits),
    });
  }
  return entries;
}

const reserveMarker: RateLimitAction = {
  generic_key: { descriptor_key: 'aigw_reserve', descriptor_value: '1' },
};

/**
 * The stream-done descriptor entry `aigw_reserved=<what the limiter reported as reserved>`, `0`
 * when it reported nothing (refused, limiter unreachable). Envoy's `metadata` action reads
 * strings only, which is what the limiter writes.
 */
const reservedEntry: RateLimitAction = {
  metadata: {
    descriptor_key: 'aigw_reserved',
    metadata_key: { key: 'envoy.filters.http.ratelimit', path: [{ key: 'aigw_reserved' }] },
    default_value: '0',
    source: 'DYNAMIC',
  },
};

/**
 * A reserving limit's entries (docs/budgets.md): a check (hits 0, as charge-after, so the budget
 * is still checked if the estimate is missing and Envoy drops the next entry), the reservation of
 * the extproc's estimate (`aigw_reserve` marks it; the limiter counts it only when it fits), and
 * at stream end the usage with what was reserved (`aigw_reserved`: the limiter applies the
 * difference).
 */
function reservingEntries(acts: readonly RateLimitAction[], limit: Limit): RouteRateLimit[] {
  const response = limit.responseHits ?? { number: 0 };
  return [
    { actions: acts, hits_addend: { number: 0 } },
    {
      actions: [...acts, reserveMarker],
      hits_addend: { format: `%DYNAMIC_METADATA(${metadataNamespace}:reserved_tokens)%` },
    },
    {
      actions: [...acts, reservedEntry],
      apply_on_stream_done: true,
      hits_addend: hitsAddend(response),
    },
  ];
}

/** The limiter's descriptor tree of a limit: `limit=<id>`, then one level per selector. */
function descriptorTree(limit: Limit): RateLimitDescriptor {
  const leaf = {
    rate_limit: {
      unit: limit.unit,
      requests_per_unit: limit.requestsPerUnit,
      ...(limit.calendarTimeZone === undefined
        ? {}
        : { calendar_time_zone: limit.calendarTimeZone }),
    },
    ...(limit.shadow ? { shadow_mode: true } : {}),
  };
  // Built from the innermost level out: the last selector's level holds the limit.
  let node: RateLimitDescriptor | undefined;
  for (let j = limit.selectors.length - 1; j >= 0; j--) {
    const selector = limit.selectors[j];
    const level = {
      key: selectorKey(j),
      ...(selector?.type === 'Distinct' ? {} : { value: selectorKey(j) }),
    };
    node = node === undefined ? { ...level, ...leaf } : { ...level, descriptors: [node] };
  }
  return node === undefined
    ? { key: 'limit', value: limit.id, ...leaf }
    : { key: 'limit', value: limit.id, descriptors: [node] };
}

/** A header selector as both Envoy Gateway and QuotaPolicy write it. */
interface HeaderSelectorInput {
  readonly name: string;
  readonly type?: HeaderMatch['type'] | undefined;
  readonly value?: string | undefined;
  readonly invert?: boolean | undefined;
}

function toSelectors(
  headers: readonly HeaderSelectorInput[],
  problem: (field: string, message: string) => void,
  field: string,
): Selector[] {
  return headers.map((h, k) => {
    const type = h.type ?? 'Exact';
    if (type !== 'Distinct' && h.value === undefined) {
      problem(`${field}[${String(k)}].value`, `required for type ${type}`);
    }
    return { name: h.name, type, value: h.value, invert: h.invert ?? false };
  });
}

function windowUnit(ms: number | undefined): RateLimitUnit | undefined {
  return ms === undefined ? undefined : windowUnits.get(ms);
}

// ---- BackendTrafficPolicy --------------------------------------------------------------------

const supportedTrafficPolicyFields = new Set(['targetRefs', 'targetRef', 'rateLimit']);

function trafficPolicyRules(
  plan: Plan,
  policy: Loaded<BackendTrafficPolicy>,
  problem: (field: string, message: string) => void,
): PlannedRule[] {
  const spec = policy.resource.spec;
  const targets = spec.targetRefs ?? (spec.targetRef ? [spec.targetRef] : []);
  const rules: PlannedRule[] = [];
  targets.forEach((target, i) => {
    if (target.kind === 'Gateway') {
      rules.push(...plan.rules);
    } else if (target.kind === 'HTTPRoute') {
      rules.push(
        ...plan.rules.filter(
          (r) => r.route.namespace === policy.namespace && r.route.name === target.name,
        ),
      );
    } else {
      problem(
        `spec.targetRefs[${String(i)}].kind`,
        `${target.kind} targets are not supported by aigw (HTTPRoute or Gateway)`,
      );
    }
  });
  return [...new Set(rules)];
}

function trafficPolicyLimits(
  plan: Plan,
  policy: Loaded<BackendTrafficPolicy>,
  problems: string[],
): Limit[] {
  const where = `${policy.file}: ${objectLabel('BackendTrafficPolicy', policy)}`;
  const problem = (field: string, message: string): void => {
    problems.push(`${where}: ${field}: ${message}`);
  };
  const spec = policy.resource.spec;
  for (const key of Object.keys(spec)) {
    if (!supportedTrafficPolicyFields.has(key))
      problem(`spec.${key}`, 'not supported by aigw (only rateLimit is)');
  }
  if (!spec.rateLimit) {
    problem('spec.rateLimit', 'required by aigw (the only BackendTrafficPolicy feature it runs)');
    return [];
  }
  const ruleIds = trafficPolicyRules(plan, policy, problem).map((r) => r.id);
  return spec.rateLimit.global.rules.map((rule, i) =>
    trafficPolicyLimit({ rule, index: i, policy, ruleIds, problem }),
  );
}

function costHits(
  cost: NonNullable<RateLimitRule['cost']>['request'],
  problem: (message: string) => void,
): Hits | undefined {
  if (!cost) return undefined;
  if (cost.from === 'Number') {
    if (cost.number === undefined) problem('number is required when from is Number');
    return { number: cost.number ?? 1 };
  }
  if (!cost.metadata) {
    problem('metadata is required when from is Metadata');
    return undefined;
  }
  return { format: `%DYNAMIC_METADATA(${cost.metadata.namespace}:${cost.metadata.key})%` };
}

function trafficPolicyLimit(context: {
  rule: RateLimitRule;
  index: number;
  policy: Loaded<BackendTrafficPolicy>;
  ruleIds: readonly string[];
  problem: (field: string, message: string) => void;
}): Limit {
  const { rule, index, policy, problem } = context;
  const field = `spec.rateLimit.global.rules[${String(index)}]`;
  const headers = (rule.clientSelectors ?? []).flatMap((s) => s.headers ?? []);
  checkLimit(rule.limit.requests, (m) => {
    problem(`${field}.limit.requests`, m);
  });
  return {
    id: `${policy.namespace}/${policy.name}/rule/${String(index)}`,
    selectors: toSelectors(headers, problem, `${field}.clientSelectors.headers`),
    unit: lowerUnit[rule.limit.unit],
    requestsPerUnit: rule.limit.requests,
    shadow: rule.shadowMode ?? false,
    requestHits: costHits(rule.cost?.request, (m) => {
      problem(`${field}.cost.request`, m);
    }),
    responseHits: costHits(rule.cost?.response, (m) => {
      problem(`${field}.cost.response`, m);
    }),
    reserve: false,
    chargesTotalTokens:
      rule.cost?.response?.metadata?.namespace === metadataNamespace &&
      rule.cost.response.metadata.key === 'llm_total_token',
    ruleIds: context.ruleIds,
  };
}

// ---- QuotaPolicy ------------------------------------------------------------------------------

/**
 * The filter-config costs of the quotas: one CEL cost per quota, which is the quota's cost
 * expression for requests served by the quota's backend (and model) and 0 otherwise, so the
 * stream-done entry charges only the quota the request used. The extproc's CEL variable `backend`
 * is the filterapi backend name and `model` the requested model.
 */
class QuotaCosts {
  readonly costs: LLMRequestCost[] = [];

  add(condition: string, expression: string): string {
    const metadataKey = `aigw_quota_${String(this.costs.length)}`;
    this.costs.push({ metadataKey, type: 'CEL', cel: `(${condition}) ? uint(${expression}) : 0u` });
    return metadataKey;
  }
}

const celList = (values: readonly string[]): string =>
  `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;

/** The backendRefs (filterapi names) of `backend`, split by whether they can send `model`. */
function quotaScope(
  plan: Plan,
  backend: string,
  model: string | undefined,
): { rules: PlannedRule[]; condition: string } | undefined {
  const always: string[] = [];
  const whenModel: string[] = [];
  const rules = new Set<PlannedRule>();
  for (const rule of plan.rules) {
    for (const ref of rule.refs) {
      if (`${ref.serviceBackend.namespace}/${ref.serviceBackend.name}` !== backend) continue;
      const override = ref.ref.modelNameOverride;
      if (model === undefined || override === model) {
        always.push(ref.name);
        rules.add(rule);
      } else if (!override && ruleMayMatchModel(rule, model)) {
        whenModel.push(ref.name);
        rules.add(rule);
      }
    }
  }
  const parts = [
    ...(always.length > 0 ? [`backend in ${celList(always)}`] : []),
    ...(whenModel.length > 0
      ? [`(backend in ${celList(whenModel)} && model == ${JSON.stringify(model)})`]
      : []),
  ];
  return parts.length === 0 ? undefined : { rules: [...rules], condition: parts.join(' || ') };
}

/** Whether a rule can route a request for `model` (its model-header matches allow it). */
function ruleMayMatchModel(rule: PlannedRule, model: string): boolean {
  if (rule.matches.length === 0) return true;
  // A match without a model-header condition matches any model.
  return rule.matches.some((headers) =>
    headers
      .filter((h) => h.name.toLowerCase() === modelHeader)
      .every((h) =>
        (h.type ?? 'Exact') === 'Exact' ? h.value === model : safeTest(h.value, model),
      ),
  );
}

function safeTest(pattern: string, value: string): boolean {
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return true;
  }
}

interface QuotaContext {
  readonly problems: string[];
  readonly costs: QuotaCosts;
}

function quotaPolicyLimits(
  plan: Plan,
  policy: Loaded<QuotaPolicy>,
  context: QuotaContext,
): Limit[] {
  const where = `${policy.file}: ${objectLabel('QuotaPolicy', policy)}`;
  const problem = (field: string, message: string): void => {
    context.problems.push(`${where}: ${field}: ${message}`);
  };
  const spec = policy.resource.spec;
  const limits: Limit[] = [];
  for (const target of spec?.targetRefs ?? []) {
    const backend = `${policy.namespace}/${target.name}`;
    const base = `${policy.namespace}/${policy.name}/backend/${target.name}`;
    if (spec?.serviceQuota) {
      const scope = quotaScope(plan, backend, undefined);
      limits.push(
        ...quotaLimits({
          id: `${base}/service`,
          definition: {
            costExpression: spec.serviceQuota.costExpression,
            mode: 'Shared',
            defaultBucket: spec.serviceQuota.quota,
          },
          field: 'spec.serviceQuota',
          scope,
          problem,
          costs: context.costs,
        }),
      );
    }
    spec?.perModelQuotas?.forEach((perModel, m) => {
      limits.push(
        ...quotaLimits({
          id: `${base}/model/${perModel.modelName}`,
          definition: perModel.quota,
          field: `spec.perModelQuotas[${String(m)}].quota`,
          scope: quotaScope(plan, backend, perModel.modelName),
          problem,
          costs: context.costs,
        }),
      );
    });
  }
  return limits;
}

function quotaLimits(context: {
  id: string;
  definition: Omit<QuotaDefinition, 'costExpression'> & { costExpression?: string | undefined };
  field: string;
  scope: { rules: PlannedRule[]; condition: string } | undefined;
  problem: (field: string, message: string) => void;
  costs: QuotaCosts;
}): Limit[] {
  const { definition, field, scope, problem } = context;
  // No route sends this backend (and model) anything: nothing to count.
  if (!scope) return [];
  const costKey = context.costs.add(scope.condition, definition.costExpression ?? 'total_tokens');
  const common = {
    requestHits: { number: 0 },
    responseHits: { format: `%DYNAMIC_METADATA(${metadataNamespace}:${costKey})%` },
    reserve: false,
    chargesTotalTokens: (definition.costExpression ?? 'total_tokens').trim() === 'total_tokens',
    ruleIds: scope.rules.map((r) => r.id),
  };
  const unitOf = (value: QuotaValue, at: string): RateLimitUnit => {
    checkLimit(value.limit, (m) => {
      problem(`${at}.limit`, m);
    });
    const unit = windowUnit(durationMs(value.duration));
    if (unit === undefined) {
      problem(
        `${at}.duration`,
        `"${value.duration}" is not a window the limiter has (1s, 1m, 1h, 24h or 168h)`,
      );
    }
    return unit ?? 'minute';
  };
  const limits: Limit[] = [];
  if (definition.defaultBucket) {
    limits.push({
      id: context.id,
      selectors: [],
      unit: unitOf(definition.defaultBucket, `${field}.defaultBucket`),
      requestsPerUnit: definition.defaultBucket.limit,
      shadow: false,
      ...common,
    });
  }
  definition.bucketRules?.forEach((bucket, b) => {
    const at = `${field}.bucketRules[${String(b)}]`;
    const headers = (bucket.clientSelectors ?? []).flatMap((s, k) => {
      if (s.methods || s.path || s.sourceCIDR) {
        problem(
          `${at}.clientSelectors[${String(k)}]`,
          'only header selectors are supported by aigw',
        );
      }
      return s.headers ?? [];
    });
    limits.push({
      id: `${context.id}/bucket/${String(b)}`,
      selectors: toSelectors(headers, problem, `${at}.clientSelectors.headers`),
      unit: unitOf(bucket.quota, `${at}.quota`),
      requestsPerUnit: bucket.quota.limit,
      shadow: bucket.shadowMode ?? false,
      ...common,
    });
  });
  return limits;
}

// ---- Token reservation (docs/budgets.md) -------------------------------------------------------

/** Annotation that makes a policy's token limits reserve at admission: `"true"`. */
export const tokenReservationAnnotation = 'aigateway.envoyproxy.io/token-reservation';
/** Annotation with the output estimate of a request that sets no `max_tokens` (default 4096). */
export const defaultOutputTokensAnnotation =
  'aigateway.envoyproxy.io/token-reservation-default-output-tokens';

/**
 * The opt-in, per policy: a policy annotated {@link tokenReservationAnnotation} `"true"` reserves
 * on each of its limits that charges tokens when the stream ends (a BackendTrafficPolicy
 * `cost.response` from `io.envoy.ai_gateway:llm_total_token`; a QuotaPolicy whose cost is
 * total tokens). The extproc's output default is the largest any reserving policy asks for.
 */
class ReservationSettings {
  #defaultOutputTokens: number | undefined;
  readonly #hard = new HardBudgets<Limit>(chargesTokens);

  /**
   * The extproc's settings: present when a limit reserves or is hard (a hard limit needs the
   * input estimate too); `hardLimits` only when a limit is hard.
   */
  get settings(): TokenReservation | undefined {
    const output = this.#defaultOutputTokens;
    const hardLimits = this.#hard.limits;
    if (output === undefined && hardLimits.length === 0) return undefined;
    return {
      defaultOutputTokens: output ?? 4096,
      inputBytesPerToken: 1,
      ...(hardLimits.length === 0 ? {} : { hardLimits }),
    };
  }

  apply(policy: AnnotatedPolicy, limits: Limit[], problems: string[]): Limit[] {
    const reserving = this.#reserve(policy, limits, problems);
    this.#hard.apply(policy, reserving, problems);
    return reserving;
  }

  #reserve(policy: AnnotatedPolicy, limits: Limit[], problems: string[]): Limit[] {
    const annotations = policy.resource.metadata?.annotations ?? {};
    const value = annotations[tokenReservationAnnotation];
    if (value === undefined || value === 'false') return limits;
    const where = `${policy.file}: ${policy.namespace}/${policy.name}: metadata.annotations`;
    if (value !== 'true') {
      problems.push(`${where}[${tokenReservationAnnotation}]: expected "true" or "false"`);
      return limits;
    }
    const output = parseOutput(annotations[defaultOutputTokensAnnotation]);
    if (output === undefined) {
      problems.push(
        `${where}[${defaultOutputTokensAnnotation}]: expected a whole number of tokens`,
      );
      return limits;
    }
    const reserving = limits.map((limit) => ({ ...limit, reserve: chargesTokens(limit) }));
    if (reserving.some((limit) => limit.reserve)) {
      this.#defaultOutputTokens = Math.max(this.#defaultOutputTokens ?? 0, output);
    } else if (limits.length > 0) {
      problems.push(
        `${where}[${tokenReservationAnnotation}]: no limit of the policy charges total tokens when the stream ends (cost.response from ${metadataNamespace}:llm_total_token)`,
      );
    }
    return reserving;
  }
}

function parseOutput(value: string | undefined): number | undefined {
  if (value === undefined) return 4096;
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

/** Whether a limit charges total tokens at stream end (what a token reservation estimates). */
function chargesTokens(limit: Limit): boolean {
  return limit.responseHits !== undefined && limit.chargesTotalTokens;
}

// ---- Calendar windows (docs/budgets.md) ----------------------------------------------------------

/**
 * Annotation that puts a policy's limits of a day or longer on the calendar of an IANA time zone
 * (`Europe/Berlin`): the month from the 1st at local midnight, not 30 days from the epoch.
 */
export const calendarTimeZoneAnnotation = 'aigateway.envoyproxy.io/budget-time-zone';

const calendarUnits: ReadonlySet<RateLimitUnit> = new Set(['day', 'week', 'month', 'year']);

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The policy's limits, those of a day or longer on the calendar of its
 * {@link calendarTimeZoneAnnotation} (none without it). An unknown zone, or a policy whose limits
 * are all shorter than a day, is a problem.
 */
function withCalendar(policy: AnnotatedPolicy, limits: Limit[], problems: string[]): Limit[] {
  const zone = policy.resource.metadata?.annotations?.[calendarTimeZoneAnnotation];
  if (zone === undefined) return limits;
  const where = `${policy.file}: ${policy.namespace}/${policy.name}: metadata.annotations[${calendarTimeZoneAnnotation}]`;
  if (!isTimeZone(zone)) {
    problems.push(
      `${where}: unknown time zone ${JSON.stringify(zone)} (an IANA name such as Europe/Berlin)`,
    );
    return limits;
  }
  if (limits.length > 0 && !limits.some((limit) => calendarUnits.has(limit.unit))) {
    problems.push(`${where}: no limit of the policy has a unit of a day or longer`);
  }
  return limits.map((limit) =>
    calendarUnits.has(limit.unit) ? { ...limit, calendarTimeZone: zone } : limit,
  );
}
