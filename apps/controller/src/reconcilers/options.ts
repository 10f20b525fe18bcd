import type { KubeObject, ReconcileContext, ReconcileResult } from '../runtime/contracts.js';
import type { ConfigSecrets } from './config-secrets.js';
import type { QuotaCosts } from './quota-costs.js';
import type { RateLimitConfigSink } from './ratelimit-config.js';
import type { RouteGenerations } from './route-set.js';

/** What a rotation concluded: when to come back, and why it failed, if it did. */
export interface RotationResult extends ReconcileResult {
  /**
   * Why the credential could not be obtained (never a secret): the policy's `Accepted=False`
   * message. Absent when the credential is fresh.
   */
  readonly problem?: string;
}

/**
 * Keeps a BackendSecurityPolicy's credential fresh (OIDC / workload-identity exchanges, token
 * refresh): called on every reconcile of a valid policy that is not being deleted, it writes the
 * rotated Secret (`ai-eg-bsp-<policy>`) and says when to come back (5 minutes before expiry). The
 * Secret's change reaches the config through the Secret → policy → backend → route → Gateway
 * graph. A failed exchange is a `problem` (and a retry after `requeueAfterMs`); a thrown error
 * (e.g. a failed write) is retried with backoff.
 */
export type CredentialRotator = (
  policy: KubeObject,
  context: ReconcileContext,
) => Promise<RotationResult | undefined>;

/** How the reconcilers are built. */
export interface ReconcilerOptions {
  /** Path prefix of every generated HTTPRoute match (`--root-prefix`, normalised); default `/`. */
  readonly rootPrefix?: string;
  /** The clock of `lastTransitionTime` (tests inject one). */
  readonly now?: () => Date;
  /** The extproc config Secret(s) of a Gateway; default {@link bundleConfigSecrets}. */
  readonly configSecrets?: ConfigSecrets;
  /** Credential rotation of BackendSecurityPolicies; none by default. */
  readonly rotateCredentials?: CredentialRotator;
  /**
   * Where Envoy Gateway runs, and so (in its default deployment mode) the Gateways' Envoy proxies
   * (`--envoy-gateway-namespace`); default `envoy-gateway-system`.
   */
  readonly envoyGatewayNamespace?: string;
  /**
   * Where apps/ratelimit's rules (the QuotaPolicies' budgets) go: the controller's ConfigMap
   * (`--ratelimit-config-map`); none by default.
   */
  readonly rateLimitConfig?: RateLimitConfigSink;
}

/** Envoy Gateway's namespace by default (upstream's `envoyGatewayNamespace`). */
export const defaultEnvoyGatewayNamespace = 'envoy-gateway-system';

/** {@link ReconcilerOptions} with the defaults filled in. */
export interface ResolvedOptions {
  readonly rootPrefix: string | undefined;
  readonly now: () => Date;
  readonly configSecrets: ConfigSecrets;
  readonly rotateCredentials: CredentialRotator | undefined;
  readonly envoyGatewayNamespace: string;
  /** Each route's last generation, by the versions of its inputs (shared by the reconcilers). */
  readonly generations: RouteGenerations;
  /** The QuotaPolicies' filter-config costs, generated again only after a change (shared). */
  readonly quotaCosts: QuotaCosts;
  readonly rateLimitConfig: RateLimitConfigSink | undefined;
}
