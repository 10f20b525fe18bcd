import type { ParentReference } from '@aigw/api';

import type { ConfigSecret } from './config-secrets.js';

/**
 * The Kubernetes objects `aigw translate` and the controller generate, typed field for field as
 * they are emitted (Gateway API / Envoy Gateway camelCase): per AIGatewayRoute an
 * {@link HTTPRoute} and two {@link HTTPRouteFilter}s, per Gateway its config {@link ConfigSecret}s.
 */

/** The owner reference of every object generated for an AIGatewayRoute. */
export interface AIGatewayRouteOwnerReference {
  readonly apiVersion: 'aigateway.envoyproxy.io/v1beta1';
  readonly kind: 'AIGatewayRoute';
  readonly name: string;
  readonly uid: string;
  readonly controller: true;
  readonly blockOwnerDeletion: true;
}

/** A filter of an HTTPRoute rule: one of the route's HTTPRouteFilters. */
export interface HTTPRouteExtensionRefFilter {
  readonly type: 'ExtensionRef';
  readonly extensionRef: {
    readonly group: 'gateway.envoyproxy.io';
    readonly kind: 'HTTPRouteFilter';
    readonly name: string;
  };
}

/** An HTTPRoute backendRef: an AIServiceBackend's `backendRef` (Backend or Service). */
export interface HTTPBackendRef {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  /** Only when it is not the route's namespace. */
  readonly namespace?: string;
  readonly port?: number;
  /** Only when it is not 1. */
  readonly weight?: number;
}

/** An HTTPRoute match: the root path prefix and the rule's header matches. */
export interface HTTPRouteMatch {
  readonly headers?: readonly {
    readonly name: string;
    readonly type: 'Exact' | 'RegularExpression';
    readonly value: string;
  }[];
  readonly path: { readonly value: string };
}

/** A rule of an AIGatewayRoute, as an HTTPRoute rule. */
export interface HTTPRouteBackendRule {
  readonly name: string;
  readonly backendRefs: readonly HTTPBackendRef[];
  readonly filters: readonly HTTPRouteExtensionRefFilter[];
  readonly matches: readonly HTTPRouteMatch[];
  readonly timeouts: { readonly request: string; readonly backendRequest?: string };
}

/** The last rule of every generated HTTPRoute: the route-not-found direct response. */
export interface HTTPRouteNotFoundRule {
  readonly name: 'route-not-found';
  readonly matches: readonly HTTPRouteMatch[];
  readonly filters: readonly HTTPRouteExtensionRefFilter[];
}

/** Gateway API `HTTPRoute` (gateway.networking.k8s.io/v1) generated for an AIGatewayRoute. */
export type HTTPRoute = {
  readonly apiVersion: 'gateway.networking.k8s.io/v1';
  readonly kind: 'HTTPRoute';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    /** The route's labels, when it has any. */
    readonly labels?: Readonly<Record<string, string>>;
    /** The route's annotations plus the generated ones. */
    readonly annotations: Readonly<Record<string, string>>;
    /** The AIGatewayRoute, when it has a uid (objects read from a cluster). */
    readonly ownerReferences?: readonly AIGatewayRouteOwnerReference[];
  };
  readonly spec: {
    readonly parentRefs: readonly ParentReference[];
    readonly hostnames?: readonly string[];
    readonly rules: readonly (HTTPRouteBackendRule | HTTPRouteNotFoundRule)[];
  };
};

/** Envoy Gateway `HTTPRouteFilter` (gateway.envoyproxy.io/v1alpha1) of an AIGatewayRoute. */
export type HTTPRouteFilter = {
  readonly apiVersion: 'gateway.envoyproxy.io/v1alpha1';
  readonly kind: 'HTTPRouteFilter';
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    /** The AIGatewayRoute, when it has a uid (objects read from a cluster). */
    readonly ownerReferences?: readonly AIGatewayRouteOwnerReference[];
  };
  readonly spec:
    | { readonly urlRewrite: { readonly hostname: { readonly type: 'Backend' } } }
    | {
        readonly directResponse: {
          readonly statusCode: number;
          readonly body: { readonly type: 'Inline'; readonly inline: string };
        };
      };
};

/**
 * Every object the translation generates (the controller writes exactly these). The kinds are type
 * aliases, not interfaces, so that they are assignable to index-signature object types such as a
 * client's `{ apiVersion; kind; metadata; [field: string]: unknown }`.
 */
export type GeneratedObject = HTTPRoute | HTTPRouteFilter | ConfigSecret;

/** A user object `aigw translate` passes through exactly as written. */
export type PassedThroughObject = Readonly<Record<string, unknown>>;

/** What `translateToKubernetes` returns: the generated objects, then the user's own. */
export type KubernetesObject = GeneratedObject | PassedThroughObject;
