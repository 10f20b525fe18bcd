import { createHash } from 'node:crypto';

import { isResourceError, translateObjects, type RouteFilterConfig } from '@aigw/gateway-config';

import type { KubeObject, ObjectCache } from '../runtime/contracts.js';
import { digested } from './apply.js';
import { celCostProblem } from './cel-costs.js';
import {
  aiGroup,
  backendOf,
  grantAllows,
  keyOf,
  labelOf,
  policiesTargeting,
  policySecrets,
  policyTargets,
  routeBackendRefs,
  routeCosts,
  routeGateways,
} from './objects.js';

/**
 * The objects one AIGatewayRoute's generation reads, gathered from the cache: the route, its
 * Gateways, the AIServiceBackends it references (cross-namespace only with a ReferenceGrant), their
 * Envoy Gateway Backends, the BackendSecurityPolicies targeting them and those policies' Secrets.
 * What is missing is left out, so that the loader names it (`… AIServiceBackend default/x not found`).
 */
export interface RouteInputs {
  readonly route: KubeObject;
  readonly objects: readonly KubeObject[];
  /** Problems found while gathering (references the loader cannot see). */
  readonly problems: readonly string[];
  /**
   * Message prefixes (`<route>: <field>.`) of references left out on purpose (no ReferenceGrant):
   * the loader's "not found" for them would mislead.
   */
  readonly withheld: readonly string[];
}

export function gatherRoute(cache: ObjectCache, route: KubeObject): RouteInputs {
  const where = labelOf('AIGatewayRoute', route);
  const problems: string[] = [];
  const withheld: string[] = [];
  const objects = new Map<string, KubeObject>();
  const add = (kind: string, object: KubeObject | undefined): void => {
    if (object) objects.set(labelOf(kind, object), object);
  };
  add('AIGatewayRoute', route);

  addGateways({ cache, route, where, problems, add, withheld });
  addBackends({ cache, route, where, problems, add, withheld });
  routeCosts(route).forEach((cost, i) => {
    if (cost.type !== 'CEL' || cost.cel === undefined) return;
    const problem = celCostProblem(cost.cel);
    if (problem) problems.push(`${where}: spec.llmRequestCosts[${String(i)}].cel: ${problem}`);
  });
  return { route, objects: [...objects.values()], problems, withheld };
}

interface Gathering {
  readonly cache: ObjectCache;
  readonly route: KubeObject;
  readonly where: string;
  readonly problems: string[];
  readonly add: (kind: string, object: KubeObject | undefined) => void;
  readonly withheld: string[];
}

function addGateways({ cache, route, where, problems, add }: Gathering): void {
  for (const gateway of routeGateways(route)) {
    const found = cache.get('Gateway', gateway.namespace, gateway.name);
    if (found) add('Gateway', found);
    else {
      problems.push(
        `${where}: spec.parentRefs[${String(gateway.index)}].name: Gateway ${gateway.namespace}/${gateway.name} not found`,
      );
    }
  }
}

function addBackends({ cache, route, where, problems, add, withheld }: Gathering): void {
  const routeNamespace = route.metadata.namespace ?? '';
  for (const ref of routeBackendRefs(route)) {
    if (!ref.isServiceBackend) continue; // the loader refuses InferencePool refs by itself
    const field = `${where}: spec.rules[${String(ref.rule)}].backendRefs[${String(ref.index)}]`;
    if (ref.isCrossNamespace && !isGranted(cache, routeNamespace, ref)) {
      withheld.push(`${field}.`);
      problems.push(
        `${field}.namespace: ` +
          `cross-namespace reference from AIGatewayRoute in namespace ${routeNamespace} to AIServiceBackend ${ref.name} ` +
          `in namespace ${ref.namespace} is not permitted: no valid ReferenceGrant found in namespace ${ref.namespace}. ` +
          `A ReferenceGrant must allow AIGatewayRoute from namespace ${routeNamespace} to reference AIServiceBackend in namespace ${ref.namespace}`,
      );
      continue;
    }
    const serviceBackend = cache.get('AIServiceBackend', ref.namespace, ref.name);
    if (!serviceBackend) continue;
    add('AIServiceBackend', serviceBackend);
    const backend = backendOf(serviceBackend);
    if (backend) add('Backend', cache.get('Backend', backend.namespace, backend.name));
    for (const policy of policiesTargeting(cache, ref.namespace, ref.name)) {
      add('BackendSecurityPolicy', policy);
      for (const key of policySecrets(policy)) {
        const [namespace = '', name = ''] = key.split('/');
        add('Secret', cache.get('Secret', namespace, name));
      }
    }
  }
}

function isGranted(
  cache: ObjectCache,
  routeNamespace: string,
  ref: { readonly namespace: string; readonly name: string },
): boolean {
  return cache
    .list('ReferenceGrant', ref.namespace)
    .some((grant) =>
      grantAllows(
        grant,
        { group: aiGroup, kind: 'AIGatewayRoute', namespace: routeNamespace },
        { group: aiGroup, kind: 'AIServiceBackend', name: ref.name },
      ),
    );
}

/**
 * The policies of a set, each narrowed to the AIServiceBackends of the set: a policy shared with
 * backends of other routes must not make this generation depend on them (their own reconciles
 * report their problems). The same objects narrow the same way, so a Gateway's union of routes
 * still holds one version of each policy.
 */
export function narrowed(objects: readonly KubeObject[]): KubeObject[] {
  const present = new Set(
    objects
      .filter((o) => o.kind === 'AIServiceBackend')
      .map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`),
  );
  return objects.map((object) => {
    if (object.kind !== 'BackendSecurityPolicy') return object;
    const namespace = object.metadata.namespace ?? '';
    const targets = policyTargets(object);
    if (targets.every((t) => present.has(`${namespace}/${t}`))) return object;
    const spec = object.spec as { targetRefs?: readonly { kind?: string; name?: string }[] };
    return {
      ...object,
      spec: {
        ...spec,
        targetRefs: (spec.targetRefs ?? []).filter(
          (t) => t.kind !== 'AIServiceBackend' || present.has(`${namespace}/${t.name ?? ''}`),
        ),
      },
    };
  });
}

/** What generation made of one route's objects. */
export type Generation =
  | {
      readonly ok: true;
      /** The route's HTTPRoute and HTTPRouteFilters. */
      readonly generated: readonly KubeObject[];
      /** The route's share of its Gateways' extproc config; merged by the Gateway reconciler. */
      readonly filterConfig: RouteFilterConfig | undefined;
    }
  | { readonly ok: false; readonly problems: readonly string[] };

/**
 * Runs `aigw translate`'s generation (`@aigw/gateway-config`) over the objects of `route`: its
 * HTTPRoute, HTTPRouteFilters and share of the filter config, or the problems, one per line, each
 * naming the object and the field. The config Secrets are not laid out here: a Gateway's are
 * its routes' shares merged (`gatewayReconciler`), as `aigw translate` merges them.
 */
export function generate(
  route: KubeObject,
  objects: readonly KubeObject[],
  options: { readonly rootPrefix?: string | undefined },
): Generation {
  try {
    const { generated, routeFilterConfigs } = translateObjects(objects, {
      configSecrets: false,
      ...(options.rootPrefix === undefined ? {} : { rootPrefix: options.rootPrefix }),
    });
    return {
      ok: true,
      generated: generated.filter((o) => o.kind !== 'Secret'),
      filterConfig: routeFilterConfigs.get(keyOf(route)),
    };
  } catch (err) {
    if (isResourceError(err)) return { ok: false, problems: err.problems };
    throw err;
  }
}

/**
 * The problems `aigw translate`'s loading and generation find in `objects` (each naming the
 * object and the field), empty when there are none: how an object is checked on its own.
 */
export function loaderProblems(objects: readonly KubeObject[]): readonly string[] {
  try {
    translateObjects(objects, { configSecrets: false });
    return [];
  } catch (err) {
    if (isResourceError(err)) return err.problems;
    throw err;
  }
}

/**
 * The last generation of each route, with the versions of the objects it read: a route whose
 * inputs have not changed is not generated again. A version is the object's `metadata.generation`
 * where it has one (spec changes only: the controller's own status and finalizer writes do not
 * count), else its `resourceVersion` (Secrets); for the route itself also its labels and
 * annotations, which its HTTPRoute copies.
 */
export class RouteGenerations {
  readonly #byRoute = new Map<
    string,
    { readonly fingerprint: string; readonly stamp: string; readonly generation: Generation }
  >();

  /**
   * The remembered generation of `inputs` (its objects as digests, see {@link digested}), or
   * `generate()`'s (whole), remembered.
   */
  get(inputs: RouteInputs, generate: () => Generation): Generation {
    const fingerprint = fingerprintOf(inputs);
    const key = keyOf(inputs.route);
    if (fingerprint === undefined) {
      this.#byRoute.delete(key);
      return generate();
    }
    const known = this.#byRoute.get(key);
    if (known?.fingerprint === fingerprint) return known.generation;
    const generation = generate();
    // Remembered as digests: the objects are needed whole only to write them, and a route whose
    // objects are not what its digests say is generated again (`aiGatewayRouteReconciler`).
    const remembered = generation.ok
      ? { ...generation, generated: generation.generated.map(digested) }
      : generation;
    this.#byRoute.set(key, {
      fingerprint,
      stamp: routeStamp(inputs.route),
      generation: remembered,
    });
    return generation;
  }

  /**
   * The last generation of `route` as it is now, without gathering its inputs again (what a
   * Gateway reconcile uses for each of its routes): any change of another input queues the
   * route's own reconcile (the event graph), which regenerates it and then queues the Gateway.
   * Undefined when the route changed since, or was never generated.
   */
  current(route: KubeObject): Generation | undefined {
    const known = this.#byRoute.get(keyOf(route));
    return known?.stamp === routeStamp(route) ? known.generation : undefined;
  }

  /** Forgets a route (deleted). */
  forget(namespace: string, name: string): void {
    this.#byRoute.delete(`${namespace}/${name}`);
  }
}

/** The version of one input (see {@link RouteGenerations}); undefined when it has none. */
function versionOf(object: KubeObject): string | undefined {
  const { generation, resourceVersion } = object.metadata;
  if (generation !== undefined) return `g${String(generation)}`;
  return resourceVersion === undefined ? undefined : `r${resourceVersion}`;
}

/** The route's identity, version, labels and annotations. */
function routeStamp(route: KubeObject): string {
  const { uid, labels, annotations } = route.metadata;
  return `${uid ?? ''}/${versionOf(route) ?? ''}/${JSON.stringify(labels ?? {})}/${JSON.stringify(annotations ?? {})}`;
}

/**
 * Identity and version of every input, in order, hashed (the text is ~1 KB a route); undefined
 * when one has no version.
 */
function fingerprintOf(inputs: RouteInputs): string | undefined {
  const parts: string[] = [routeStamp(inputs.route)];
  for (const object of inputs.objects) {
    const version = versionOf(object);
    if (version === undefined) return undefined;
    const { uid, namespace, name } = object.metadata;
    parts.push(`${object.kind}/${namespace ?? ''}/${name}/${uid ?? ''}/${version}`);
  }
  parts.push(...inputs.problems, '|', ...inputs.withheld);
  return createHash('sha256').update(parts.join('\n')).digest('base64');
}

/**
 * Generation for one route: gathering problems first, then the loader's. With `generations`, an
 * unchanged route reuses its last generation.
 */
export function generateRoute(
  inputs: RouteInputs,
  options: {
    readonly rootPrefix?: string | undefined;
    readonly generations?: RouteGenerations | undefined;
  },
): Generation {
  return options.generations
    ? options.generations.get(inputs, () => generateRouteNow(inputs, options))
    : generateRouteNow(inputs, options);
}

function generateRouteNow(
  inputs: RouteInputs,
  options: { readonly rootPrefix?: string | undefined },
): Generation {
  const generation = generate(inputs.route, narrowed(inputs.objects), options);
  const loaderProblems = (generation.ok ? [] : generation.problems).filter(
    (p) => !inputs.withheld.some((prefix) => p.startsWith(prefix)),
  );
  const problems = [...new Set([...inputs.problems, ...loaderProblems])];
  return problems.length === 0 ? generation : { ok: false, problems };
}
