import { createHash } from 'node:crypto';
import type { Sha256 } from '@aws-crypto/sha256-js';
import type { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentials } from './aws-credentials.js';

interface SignerModules {
  readonly SignatureV4: typeof SignatureV4;
  readonly Sha256: typeof Sha256;
}

let signerModules: Promise<SignerModules> | undefined;

/**
 * The SigV4 signer and its SHA-256 (~+11 MiB RSS), loaded once, when the first AWS backend's
 * signer is created: configs without an `aws` backend never load them.
 */
function loadSignerModules(): Promise<SignerModules> {
  signerModules ??= Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-crypto/sha256-js'),
  ]).then(([signature, sha256]) => ({
    SignatureV4: signature.SignatureV4,
    Sha256: sha256.Sha256,
  }));
  return signerModules;
}

/** The request as it will leave Envoy: what SigV4 signs. */
export interface AwsSignableRequest {
  readonly method: string;
  /** The `host` (`:authority`) header value Envoy sends upstream, port included if any. */
  readonly host: string;
  /** Path and query exactly as sent (already URL-encoded). */
  readonly path: string;
  readonly body: Uint8Array;
  /** Signing time; now by default (tests pin it). */
  readonly date?: Date;
}

/** Options of {@link AwsRequestSigner}. */
export interface AwsRequestSignerOptions {
  readonly credentials: AwsCredentials;
  readonly region: string;
  /** The SigV4 service name; Bedrock runtime signs as `bedrock`. */
  readonly service?: string;
  /**
   * Whether to send and sign `x-amz-content-sha256` (default true). Bedrock does not require it;
   * it costs nothing and lets a proxy check the body. Off only to reproduce AWS's test vectors.
   */
  readonly sendsPayloadHash?: boolean;
}

/** The headers SigV4 adds; the caller must remove a client's stale ones it did not set. */
export const awsSignatureHeaderNames: readonly string[] = [
  'authorization',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-content-sha256',
];

/** AWS endpoint names: `*.amazonaws.com` (regional, FIPS, VPC endpoints) and `*.api.aws`. */
const awsHostPattern = /\.(?:amazonaws\.com|api\.aws)(?::\d+)?$/i;

/**
 * The host to sign for: the `:authority` the upstream filter sees when it is an AWS endpoint
 * (the route's host rewrite already happened), else the region's Bedrock runtime endpoint.
 *
 * Why not always the `:authority`: with `auto_host_rewrite` (what Envoy Gateway's Backend hostname
 * rewrite becomes) Envoy rewrites `host` in `onPoolReady`. On a pooled connection that happens
 * before the upstream filters run; on a new connection after them, so the filter still sees the
 * client's host although the endpoint hostname goes on the wire. In that case the filter sees a
 * non-AWS name, and the regional endpoint is what Envoy will send (and what upstream Envoy AI
 * Gateway signs for by default).
 */
export function awsSigningHost(seen: string | undefined, region: string): string {
  return seen !== undefined && awsHostPattern.test(seen)
    ? seen
    : `bedrock-runtime.${region}.amazonaws.com`;
}

function splitQuery(path: string): { pathname: string; query: Record<string, string[]> } {
  const at = path.indexOf('?');
  if (at === -1) return { pathname: path, query: {} };
  const query: Record<string, string[]> = {};
  for (const pair of path.slice(at + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decodeURIComponent(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decodeURIComponent(pair.slice(equals + 1));
    (query[key] ??= []).push(value);
  }
  return { pathname: path.slice(0, at), query };
}

/**
 * Signs upstream requests with AWS Signature Version 4 (`@smithy/signature-v4`, the AWS SDK's own
 * signer). One instance per backend and credentials file: the signer caches the derived key per
 * day. The body hash is computed with node:crypto (native) rather than the pure-JS SHA-256 the
 * signer uses for its small strings, since bodies can be megabytes.
 *
 * The credentials live in a private field and in the signer's closure; neither is enumerable, so
 * logging a backend never prints them.
 */
export class AwsRequestSigner {
  readonly region: string;
  readonly service: string;
  readonly #signer: Promise<SignatureV4>;
  readonly #sendsPayloadHash: boolean;
  readonly #hasSessionToken: boolean;

  constructor(options: AwsRequestSignerOptions) {
    this.region = options.region;
    this.service = options.service ?? 'bedrock';
    this.#sendsPayloadHash = options.sendsPayloadHash ?? true;
    this.#hasSessionToken = options.credentials.sessionToken !== undefined;
    const { accessKeyId, secretAccessKey, sessionToken } = options.credentials;
    const { region, service } = this;
    this.#signer = loadSignerModules().then(
      (modules) =>
        new modules.SignatureV4({
          credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
          region,
          service,
          sha256: modules.Sha256,
          // Added by us (hashed natively) when wanted; the signer would otherwise always add it.
          applyChecksum: false,
        }),
    );
    // A failed load surfaces on the first sign(), not as an unhandled rejection here.
    this.#signer.catch(() => undefined);
  }

  /** Whether signed requests carry `x-amz-security-token`. */
  get hasSessionToken(): boolean {
    return this.#hasSessionToken;
  }

  /**
   * The SigV4 headers for a request: `authorization`, `x-amz-date`, `x-amz-security-token` (with a
   * session token) and `x-amz-content-sha256` (unless turned off). Signed headers: `host`, those.
   */
  async sign(request: AwsSignableRequest): Promise<(readonly [string, string])[]> {
    const { pathname, query } = splitQuery(request.path);
    const headers: Record<string, string> = { host: request.host };
    if (this.#sendsPayloadHash) {
      headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex');
    }
    const signer = await this.#signer;
    const signed = await signer.sign(
      {
        method: request.method,
        protocol: 'https:',
        hostname: request.host,
        path: pathname,
        query,
        headers,
        body: request.body,
      },
      { signingDate: request.date ?? new Date() },
    );
    const result: (readonly [string, string])[] = [];
    for (const name of awsSignatureHeaderNames) {
      const value = signed.headers[name];
      if (value !== undefined) result.push([name, value]);
    }
    return result;
  }

  /** Keeps credentials out of `JSON.stringify` and pino. */
  toJSON(): object {
    return { region: this.region, service: this.service };
  }
}
