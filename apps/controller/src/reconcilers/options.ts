import type { KubeObject, ReconcileContext, ReconcileResult } from '../runtime/contracts.js';
import type { ConfigSecrets } from './config-secrets.js';

/**
 * Keeps a BackendSecurityPolicy's credential fresh (OIDC / workload-identity exchanges, token
 * refresh): called on every reconcile of a valid policy that is not being deleted, it writes the
 * rotated Secret (`ai-eg-bsp-<policy>`) and says when to come back (5 minutes before expiry). The
 * Secret's change reaches the config through the Secret → policy → backend → route → Gateway
 * graph. A thrown error is retried with backoff.
 */
export type CredentialRotator = (
  policy: KubeObject,
  context: ReconcileContext,
) => Promise<ReconcileResult | undefined>;

/** How the reconcilers are built. */
export interface ReconcilerOptions {
  /** Path prefix of every generated HTTPRoute match (`--root-prefix`, normalised); default `/`. */
  readonly rootPrefix?: string;
  /** The clock of `lastTransitionTime` (tests inject one). */
  readonly now?: () => Date;
  /** The extproc config Secret(s) of a Gateway; default {@link legacyConfigSecrets}. */
  readonly configSecrets?: ConfigSecrets;
  /** Credential rotation of BackendSecurityPolicies; none by default. */
  readonly rotateCredentials?: CredentialRotator;
}

/** {@link ReconcilerOptions} with the defaults filled in. */
export interface ResolvedOptions {
  readonly rootPrefix: string | undefined;
  readonly now: () => Date;
  readonly configSecrets: ConfigSecrets;
  readonly rotateCredentials: CredentialRotator | undefined;
}
