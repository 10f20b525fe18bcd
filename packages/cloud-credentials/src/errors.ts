/** Why a credential exchange failed. */
export type CredentialErrorCode =
  /** The policy lacks a field the exchange needs, or names none this package exchanges. */
  | 'invalid-policy'
  /** A Secret the policy names is missing, or lacks the key. */
  | 'secret-missing'
  /** A credential in a Secret cannot be used (e.g. a service-account key that is not JSON). */
  | 'invalid-secret'
  /** The OIDC issuer's discovery document could not be read or lacks a token endpoint. */
  | 'oidc-discovery-failed'
  /** A token service answered and refused the request (bad secret, role, assertion, …). */
  | 'refused'
  /** A token service could not be reached or answered with a server error. */
  | 'unreachable'
  /** The service answered with something this package cannot read. */
  | 'bad-response'
  /** The credential received is already expired. */
  | 'expired'
  /** Writing the credential where it goes (the rotator's sink) failed. */
  | 'sink-failed'
  /** Anything else an exchange threw (a bug, not the service's answer). */
  | 'internal';

/**
 * A failed exchange. The message names the step and the service and never contains a secret:
 * it is scrubbed of tokens and of the values the exchange knew ({@link scrubSecrets}) before the
 * error is built, so callers may log it and put it into a status condition.
 */
export class CredentialError extends Error {
  override readonly name = 'CredentialError';
  readonly code: CredentialErrorCode;

  constructor(code: CredentialErrorCode, message: string) {
    super(scrubSecrets(message));
    this.code = code;
  }
}

/** Structural guard for {@link CredentialError} that does not rely on `instanceof`. */
export function isCredentialError(err: unknown): err is CredentialError {
  return err instanceof Error && err.name === 'CredentialError' && 'code' in err;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `text` with anything that looks like a credential replaced by `[redacted]`: the given known
 * values, `Bearer …` / `Basic …` values, JWTs, PEM blocks and any run of 32 or more
 * base64-ish characters without `.` or `/` (access tokens, keys, session tokens; URLs stay). UUIDs (trace and correlation ids) stay.
 */
export function scrubSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const value of known) {
    if (value.length >= 4) out = out.split(value).join('[redacted]');
  }
  return out
    .replace(/-----BEGIN [^-]+-----[\s\S]*?(-----END [^-]+-----|$)/g, '[redacted]')
    .replace(/\b(Bearer|Basic)\s+[^\s"',]+/gi, '$1 [redacted]')
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[redacted]')
    .replace(/[A-Za-z0-9+_=-]{32,}/g, (run) => (uuid.test(run) ? run : '[redacted]'));
}

/** `err`'s message (or its string form), scrubbed of `known` secrets and of token-like text. */
export function describeError(err: unknown, known: readonly string[] = []): string {
  const message = err instanceof Error ? err.message : String(err);
  return scrubSecrets(message, known);
}
