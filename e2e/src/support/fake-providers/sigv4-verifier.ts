import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { RecordedRequest } from '@aigw/testkit';

/** What the fake Bedrock knows: the one key pair it accepts. */
export interface SigV4Expectation {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When set, the request must carry (and sign) this `x-amz-security-token`. */
  readonly sessionToken?: string;
  readonly region: string;
  readonly service: string;
  /** Largest accepted clock skew (AWS allows 15 minutes). */
  readonly maxSkewMs?: number;
}

/** Why a signature was refused, with the AWS error type Bedrock answers with. */
export interface SigV4Failure {
  readonly errorType:
    | 'MissingAuthenticationTokenException'
    | 'UnrecognizedClientException'
    | 'InvalidSignatureException';
  readonly message: string;
}

const sha256Hex = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

/** RFC 3986 escaping (AWS `UriEncode`): everything but `A-Za-z0-9-._~`. */
const uriEncode = (text: string): string =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * The canonical URI of a non-S3 service: the path as received (still percent-encoded) with each
 * segment URI-encoded once more, so `%3A` becomes `%253A`.
 */
function canonicalUri(rawPath: string): string {
  return rawPath === '' ? '/' : rawPath.split('/').map(uriEncode).join('/');
}

function canonicalQuery(rawQuery: string): string {
  if (rawQuery === '') return '';
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf('=');
      const key = decodeURIComponent(at === -1 ? pair : pair.slice(0, at));
      const value = at === -1 ? '' : decodeURIComponent(pair.slice(at + 1));
      return [uriEncode(key), uriEncode(value)] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(req: RecordedRequest, name: string): string | undefined {
  const value = req.headers[name];
  if (value === undefined) return undefined;
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s+/g, ' ');
}

const authPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const invalid = (message: string): SigV4Failure => ({
  errorType: 'InvalidSignatureException',
  message,
});

const mismatch =
  'The request signature we calculated does not match the signature you provided. Check your ' +
  'AWS Secret Access Key and signing method. Consult the service documentation for details.';

function parsedAuthorization(
  req: RecordedRequest,
  expected: SigV4Expectation,
):
  | { readonly failure: SigV4Failure }
  | { readonly day: string; readonly signedHeaders: string[]; readonly signature: string } {
  const authorization = headerValue(req, 'authorization');
  if (authorization === undefined) {
    return {
      failure: {
        errorType: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
      },
    };
  }
  const match = authPattern.exec(authorization);
  if (!match) return { failure: invalid('Authorization header requires a valid SigV4 format.') };
  const [, keyId, day, region, service, signed, signature] = match;
  if (keyId !== expected.accessKeyId) {
    return {
      failure: {
        errorType: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      },
    };
  }
  if (region !== expected.region || service !== expected.service) {
    return {
      failure: invalid(
        `Credential should be scoped to a valid region/service (${region}/${service}).`,
      ),
    };
  }
  return { day: day ?? '', signedHeaders: (signed ?? '').split(';'), signature: signature ?? '' };
}

function checkSignedHeaders(
  req: RecordedRequest,
  expected: SigV4Expectation,
  signedHeaders: readonly string[],
): SigV4Failure | undefined {
  for (const required of ['host', 'x-amz-date']) {
    if (!signedHeaders.includes(required)) return invalid(`'${required}' must be a signed header.`);
  }
  if (expected.sessionToken !== undefined) {
    const token = headerValue(req, 'x-amz-security-token');
    if (token !== expected.sessionToken || !signedHeaders.includes('x-amz-security-token')) {
      return {
        errorType: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      };
    }
  }
  const contentHash = headerValue(req, 'x-amz-content-sha256');
  if (contentHash !== undefined && contentHash !== sha256Hex(req.body)) {
    return invalid('The provided x-amz-content-sha256 header does not match what was computed.');
  }
  return undefined;
}

function checkDate(
  amzDate: string | undefined,
  day: string,
  maxSkewMs: number,
): SigV4Failure | undefined {
  const parsed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate ?? '');
  if (!parsed || amzDate?.slice(0, 8) !== day) return invalid('Invalid X-Amz-Date.');
  const [, y, mo, d, h, mi, s] = parsed.map(Number) as [number, ...number[]];
  const at = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  if (Math.abs(Date.now() - at) > maxSkewMs) return invalid('Signature expired.');
  return undefined;
}

/**
 * Verifies a request's AWS Signature Version 4 the way AWS does, from the received bytes: the
 * canonical request is rebuilt from the raw path, query, signed headers and the hash of the body
 * actually received, then signed with the known secret and compared. Returns `undefined` when
 * the signature is valid.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 */
export function verifySigV4(
  req: RecordedRequest,
  expected: SigV4Expectation,
): SigV4Failure | undefined {
  const auth = parsedAuthorization(req, expected);
  if ('failure' in auth) return auth.failure;
  const amzDate = headerValue(req, 'x-amz-date');
  const problem =
    checkSignedHeaders(req, expected, auth.signedHeaders) ??
    checkDate(amzDate, auth.day, expected.maxSkewMs ?? 15 * 60_000);
  if (problem) return problem;
  const at = req.url.indexOf('?');
  const canonical = [
    req.method,
    canonicalUri(at === -1 ? req.url : req.url.slice(0, at)),
    canonicalQuery(at === -1 ? '' : req.url.slice(at + 1)),
    ...auth.signedHeaders.map((name) => `${name}:${headerValue(req, name) ?? ''}`),
    '',
    auth.signedHeaders.join(';'),
    sha256Hex(req.body),
  ].join('\n');
  const scope = `${auth.day}/${expected.region}/${expected.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${expected.secretAccessKey}`)
    .update(auth.day)
    .digest();
  for (const part of [expected.region, expected.service, 'aws4_request']) {
    key = createHmac('sha256', key).update(part).digest();
  }
  const computed = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(auth.signature, 'hex');
  return given.length === computed.length && timingSafeEqual(given, computed)
    ? undefined
    : invalid(mismatch);
}
