import { randomBytes } from 'node:crypto';

/** The tokens a fake issued and when each expires: what a fake provider checks a bearer against. */
export class IssuedTokens {
  readonly #expiry = new Map<string, number>();
  readonly #prefix: string;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  /** A new random token valid for `seconds`. */
  issue(seconds: number): { token: string; expiresAt: Date } {
    const token = `${this.#prefix}${randomBytes(24).toString('base64url')}`;
    const expiresAt = new Date(Date.now() + seconds * 1000);
    this.#expiry.set(token, expiresAt.getTime());
    return { token, expiresAt };
  }

  /** Records a token minted elsewhere (a signed JWT) as valid for `seconds`. */
  record(token: string, seconds: number): void {
    this.#expiry.set(token, Date.now() + seconds * 1000);
  }

  /** Whether `token` was issued here and has not expired. */
  isValid(token: string): boolean {
    const expiry = this.#expiry.get(token);
    return expiry !== undefined && expiry > Date.now();
  }

  /** Every token issued so far, oldest first. */
  all(): string[] {
    return [...this.#expiry.keys()];
  }
}

/** `n` random characters of `alphabet` (AWS-style key ids and secrets). */
export function randomChars(n: number, alphabet: string): string {
  const bytes = randomBytes(n);
  return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}
