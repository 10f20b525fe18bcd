import {
  createPublicKey,
  createSign,
  createVerify,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';

/** An RSA key pair in PEM, as a signing service or a service-account key holds it. */
export interface RsaKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

/** A fresh 2048-bit RSA key pair (PKCS#8 private key, SPKI public key). */
export function rsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const b64url = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

/** Signs `claims` as an RS256 JWT (JWS compact serialisation). */
export function signJwt(
  claims: Readonly<Record<string, unknown>>,
  key: { privateKeyPem: string; kid?: string },
): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.kid === undefined ? {} : { kid: key.kid }) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(key.privateKeyPem);
  return `${input}.${b64url(signature)}`;
}

/** Why a JWT was refused, in the words a token service would use. */
export class JwtRejectedError extends Error {
  override readonly name = 'JwtRejectedError';
}

/**
 * Verifies an RS256 JWT against `publicKeyPem` and returns its claims: signature, `exp` (with the
 * given `now`, seconds) and, when asked, `iss` and `aud`.
 *
 * @throws JwtRejectedError saying what is wrong.
 */
export function verifyJwt(
  token: string,
  expect: { publicKeyPem: string; issuer?: string; audience?: string; nowSeconds?: number },
): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtRejectedError('not a JWT');
  const [header, payload, signature] = parts as [string, string, string];
  const key: KeyObject = createPublicKey(expect.publicKeyPem);
  const ok = createVerify('RSA-SHA256')
    .update(`${header}.${payload}`)
    .verify(key, Buffer.from(signature, 'base64url'));
  if (!ok) throw new JwtRejectedError('invalid JWT signature');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const now = expect.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) {
    throw new JwtRejectedError('JWT expired');
  }
  if (expect.issuer !== undefined && claims.iss !== expect.issuer) {
    throw new JwtRejectedError(`unexpected JWT issuer ${String(claims.iss)}`);
  }
  if (expect.audience !== undefined) {
    const aud = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
    if (!aud.includes(expect.audience)) {
      throw new JwtRejectedError(`unexpected JWT audience ${JSON.stringify(claims.aud)}`);
    }
  }
  return claims;
}
