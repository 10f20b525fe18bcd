import { createHash } from 'node:crypto';
import {
  CredentialError,
  credentialSecretRefs,
  exchangeFor,
  expirationTimeAnnotation,
  isCredentialError,
  ownsRotatedSecret,
  preRotationWindowMs,
  rotatedSecretName,
  rotationKind,
  scrubSecrets,
  type Endpoints,
  type ExchangeOptions,
  type PolicyInput,
  type RotatedCredential,
  type RotationKind,
  type SecretData,
} from '@aigw/cloud-credentials';
import type { KubeObject, ObjectCache, ReconcileContext } from '../runtime/contracts.js';
import { labelOf } from './objects.js';
import type { CredentialRotator, RotationResult } from './options.js';

/**
 * Annotation on the rotated Secret: a digest of what the credential was exchanged from (the
 * policy's spec and the `resourceVersion` of each Secret the exchange read). When it differs —
 * the policy was edited, a client secret or key was replaced — the credential is exchanged again
 * at once instead of at its expiry (upstream waits for the expiry). No secret goes into it.
 */
export const credentialSourceAnnotation = 'aigateway.envoyproxy.io/credential-source';

/** Upstream's retry delay after a failed rotation (`RequeueAfter: time.Minute`). */
export const rotationRetryMs = 60_000;

/** Never come back sooner than this (a credential living less than the window). */
const minRequeueMs = 1_000;

/** Options of {@link createCredentialRotator}. */
export interface CredentialRotatorOptions {
  /**
   * Token endpoints (default: the public clouds'). `main.ts` reads them from the same variables
   * as `aigw run`: `AIGW_AWS_STS_URL`, `AIGW_AZURE_AUTHORITY_HOST` (else `AZURE_AUTHORITY_HOST`),
   * `AIGW_GCP_OAUTH_TOKEN_URL`, `AIGW_GCP_STS_URL`, `AIGW_GCP_IAM_CREDENTIALS_URL`.
   */
  readonly endpoints?: Endpoints;
  /** PEM CAs trusted in addition to Node's for the OIDC issuer, Entra ID and AWS STS. */
  readonly extraCaCertificates?: readonly string[];
  /** Per-request timeout of the exchanges, milliseconds (default: the package's 30 s). */
  readonly timeoutMs?: number;
  /** The clock that decides when a credential is due (tests inject one). */
  readonly now?: () => Date;
  /** Retry delay after a failed exchange (default upstream's 1 minute). */
  readonly retryAfterMs?: number;
  /** Refresh this long before expiry (default upstream's 5 minutes). */
  readonly preRotationWindowMs?: number;
}

/** The policy's spec as the exchange reads it (hub version v1beta1, validated by the loader). */
type PolicySpec = PolicyInput['spec'];

/** What the controller last wrote for a policy (the cache may not have seen it yet). */
interface Written {
  readonly expiresAt: number;
  readonly source: string;
}

/** A cached Secret's data, decoded (`data` is base64; `stringData` only on unsaved objects). */
function secretData(secret: KubeObject | undefined): SecretData | undefined {
  if (!secret) return undefined;
  const data = (secret['data'] ?? {}) as Record<string, string>;
  const stringData = (secret['stringData'] ?? {}) as Record<string, string>;
  const decoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
  return { ...decoded, ...stringData };
}

/** The digest of {@link credentialSourceAnnotation} for `policy`, given the Secrets cached. */
export function sourceDigest(cache: ObjectCache, policy: PolicyInput): string {
  const versions = credentialSecretRefs(policy).map(
    (ref) => cache.get('Secret', ref.namespace, ref.name)?.metadata.resourceVersion ?? '',
  );
  return createHash('sha256')
    .update(JSON.stringify({ spec: policy.spec, versions }))
    .digest('hex')
    .slice(0, 32);
}

/** RFC 3339 with seconds, as Go's `time.RFC3339` writes it (rounded down: never later). */
function rfc3339(time: Date): string {
  return new Date(Math.floor(time.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The expiry and source recorded on a stored rotated Secret. */
function storedState(secret: KubeObject | undefined): Written | undefined {
  const annotations = secret?.metadata.annotations ?? {};
  const expiresAt = Date.parse(annotations[expirationTimeAnnotation] ?? '');
  if (Number.isNaN(expiresAt)) return undefined;
  return { expiresAt, source: annotations[credentialSourceAnnotation] ?? '' };
}

/** `err`'s message, scrubbed of anything token-like (CredentialErrors already are). */
function reasonOf(err: unknown): { code: string; message: string } {
  if (isCredentialError(err)) return { code: err.code, message: err.message };
  return {
    code: 'internal',
    message: scrubSecrets(err instanceof Error ? err.message : String(err)),
  };
}

/** The rotated Secret of `policy` holding `credential`, as the controller applies it. */
function rotatedSecret(
  object: KubeObject,
  credential: RotatedCredential,
  source: string,
): KubeObject {
  const { name, namespace = '', uid } = object.metadata;
  const owned = ownsRotatedSecret(credential.kind) && uid !== undefined;
  const ownerReferences = owned
    ? [
        {
          apiVersion: object.apiVersion,
          kind: 'BackendSecurityPolicy',
          name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]
    : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: rotatedSecretName(name),
      namespace,
      annotations: {
        [expirationTimeAnnotation]: rfc3339(credential.expiresAt),
        [credentialSourceAnnotation]: source,
      },
      ...(ownerReferences === undefined ? {} : { ownerReferences }),
    },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(credential.secretData).map(([k, v]) => [
        k,
        Buffer.from(v, 'utf8').toString('base64'),
      ]),
    ),
  };
}

/** One policy's rotation, as the reconciler sees it. */
interface Job {
  readonly object: KubeObject;
  readonly policy: PolicyInput;
  readonly kind: RotationKind;
  readonly secretName: string;
  readonly source: string;
  readonly context: ReconcileContext;
}

/** The state and rules behind {@link createCredentialRotator}. */
class Rotation {
  readonly #now: () => Date;
  readonly #retryAfterMs: number;
  readonly #windowMs: number;
  readonly #exchange: Omit<ExchangeOptions, 'signal'>;
  /** What this process last wrote, by `namespace/policy` (the cache may lag behind a write). */
  readonly #written = new Map<string, Written>();

  constructor(options: CredentialRotatorOptions) {
    this.#now = options.now ?? (() => new Date());
    this.#retryAfterMs = options.retryAfterMs ?? rotationRetryMs;
    this.#windowMs = options.preRotationWindowMs ?? preRotationWindowMs;
    this.#exchange = {
      ...(options.endpoints === undefined ? {} : { endpoints: options.endpoints }),
      ...(options.extraCaCertificates === undefined
        ? {}
        : { extraCaCertificates: options.extraCaCertificates }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    };
  }

  async reconcile(
    object: KubeObject,
    context: ReconcileContext,
  ): Promise<RotationResult | undefined> {
    const spec = object['spec'] as PolicySpec | undefined;
    const kind = spec && rotationKind(spec);
    if (!spec || kind === undefined) return undefined;
    const namespace = object.metadata.namespace ?? '';
    const policy: PolicyInput = { namespace, name: object.metadata.name, spec };
    const job: Job = {
      object,
      policy,
      kind,
      secretName: rotatedSecretName(policy.name),
      source: sourceDigest(context.cache, policy),
      context,
    };
    const current = this.#current(job);
    if (
      current?.source === job.source &&
      this.#now().getTime() < current.expiresAt - this.#windowMs
    ) {
      return this.#requeueFor(current.expiresAt);
    }
    return this.#rotate(job);
  }

  /**
   * The newer of what is stored and what this process last wrote; a Secret gone from the cache
   * was deleted, and is written again.
   */
  #current(job: Job): Written | undefined {
    const { namespace, name } = job.policy;
    const storedSecret = job.context.cache.get('Secret', namespace, job.secretName);
    const stored = storedState(storedSecret);
    const mine = storedSecret ? this.#written.get(`${namespace}/${name}`) : undefined;
    return stored && mine && mine.expiresAt > stored.expiresAt ? mine : stored;
  }

  #requeueFor(expiresAt: number): RotationResult {
    const dueIn = expiresAt - this.#windowMs - this.#now().getTime();
    return { requeueAfterMs: Math.max(dueIn, minRequeueMs) };
  }

  async #rotate(job: Job): Promise<RotationResult> {
    const { context, policy, secretName, kind } = job;
    let credential: RotatedCredential;
    try {
      credential = await exchangeFor(
        policy,
        (ref) => secretData(context.cache.get('Secret', ref.namespace, ref.name)),
        { ...this.#exchange, signal: context.signal },
      );
      if (credential.expiresAt.getTime() <= this.#now().getTime()) {
        throw new CredentialError(
          'expired',
          `the credential received expired at ${credential.expiresAt.toISOString()}`,
        );
      }
    } catch (err) {
      if (context.signal.aborted) throw err;
      const reason = reasonOf(err);
      const retryInMs = this.#retryAfterMs;
      context.log.warn(
        { secret: secretName, kind, code: reason.code, error: reason.message, retryInMs },
        'credential rotation failed; the current credential stays',
      );
      const label = labelOf('BackendSecurityPolicy', job.object);
      return {
        requeueAfterMs: retryInMs,
        problem: `${label}: credential rotation failed: ${reason.message}`,
      };
    }
    await context.writer.apply(rotatedSecret(job.object, credential, job.source));
    const expiresAt = Math.floor(credential.expiresAt.getTime() / 1000) * 1000;
    this.#written.set(`${policy.namespace}/${policy.name}`, { expiresAt, source: job.source });
    const result = this.#requeueFor(expiresAt);
    context.log.info(
      {
        secret: secretName,
        kind,
        expiresAt: rfc3339(credential.expiresAt),
        refreshInMs: result.requeueAfterMs,
      },
      'credential rotated',
    );
    return result;
  }
}

/**
 * The controller's {@link CredentialRotator}, upstream's requeue-based rotation: for a policy
 * whose credential needs an exchange (`rotationKind`), it exchanges when Secret
 * `ai-eg-bsp-<policy>` is missing, expires within the pre-rotation window (5 minutes) or was
 * exchanged from another source, and writes it with server-side apply (type Opaque, upstream's
 * keys, annotation `rotators/expiration-time`, a controller ownerReference to the policy for AWS
 * OIDC, Azure OIDC and GCP workload identity). It asks to come back at expiry − 5 minutes; after
 * a failed exchange it reports the scrubbed reason as the policy's problem and comes back after
 * 1 minute, leaving the credential in place. No timers: the work queue's requeue is the schedule,
 * so only the leader rotates and a restart resumes from the stored annotation. A failed write
 * throws (the queue retries with backoff).
 */
export function createCredentialRotator(options: CredentialRotatorOptions = {}): CredentialRotator {
  const rotation = new Rotation(options);
  return (object, context) => rotation.reconcile(object, context);
}
