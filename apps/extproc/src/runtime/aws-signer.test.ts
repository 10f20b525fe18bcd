import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AwsRequestSigner, awsSigningHost } from './aws-signer.js';

/** The credentials of the AWS SigV4 test suite. */
const suiteCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const suiteDate = new Date('2015-08-30T12:36:00Z');

const sha256 = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data).digest();

/** RFC 3986 escaping of one path segment, as AWS's canonical URI asks (twice, for non-S3). */
const escapeSegment = (segment: string): string =>
  encodeURIComponent(segment).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * An independent SigV4 implementation straight from AWS's documentation (node:crypto only), to
 * check the smithy-based signer against: canonical request → string to sign → derived key.
 */
function referenceAuthorization(options: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  region: string;
  service: string;
  amzDate: string;
}): string {
  const names = Object.keys(options.headers).sort();
  const canonical = [
    options.method,
    options.path.split('/').map(escapeSegment).join('/'),
    '',
    ...names.map((name) => `${name}:${options.headers[name]!.trim()}`),
    '',
    names.join(';'),
    sha256(options.body),
  ].join('\n');
  const day = options.amzDate.slice(0, 8);
  const scope = `${day}/${options.region}/${options.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', options.amzDate, scope, sha256(canonical)].join('\n');
  const key = [day, options.region, options.service, 'aws4_request'].reduce<string | Buffer>(
    (k, part) => hmac(k, part),
    `AWS4${secret}`,
  );
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

const accessKey = 'AKIAIOSFODNN7EXAMPLE';
const secret = 'unit-secret/K7MDENG+bPxRfiCYEXAMPLEKEY';

describe('AWS SigV4 request signer', () => {
  it('reproduces the AWS test suite vector post-vanilla', async () => {
    const signer = new AwsRequestSigner({
      credentials: suiteCredentials,
      region: 'us-east-1',
      service: 'service',
      sendsPayloadHash: false,
    });
    const headers = await signer.sign({
      method: 'POST',
      host: 'example.amazonaws.com',
      path: '/',
      body: new Uint8Array(0),
      date: suiteDate,
    });
    expect(Object.fromEntries(headers)).toEqual({
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, ' +
        'Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
      'x-amz-date': '20150830T123600Z',
    });
  });

  it.each([
    {
      title: 'a Converse path with a literal ":" and a host with a port',
      path: '/model/anthropic.claude-3-5-sonnet-20240620-v1:0/converse',
      host: '127.0.0.1:10000',
      sessionToken: undefined,
    },
    {
      title: 'an InvokeModel path with an escaped model id and a session token',
      path: '/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/invoke-with-response-stream',
      host: 'bedrock-runtime.eu-west-1.amazonaws.com',
      sessionToken: 'FwoGZXIvYXdzE//session+token==',
    },
  ])('agrees with an independent implementation: $title', async ({ path, host, sessionToken }) => {
    const signer = new AwsRequestSigner({
      credentials: {
        accessKeyId: accessKey,
        secretAccessKey: secret,
        ...(sessionToken ? { sessionToken } : {}),
      },
      region: 'eu-west-1',
    });
    const body = new TextEncoder().encode(
      '{"messages":[{"role":"user","content":[{"text":"hé"}]}]}',
    );
    const signed = Object.fromEntries(
      await signer.sign({
        method: 'POST',
        host,
        path,
        body,
        date: new Date('2025-01-02T03:04:05Z'),
      }),
    );
    const expectedHeaders: Record<string, string> = {
      host,
      'x-amz-content-sha256': sha256(body),
      'x-amz-date': '20250102T030405Z',
      ...(sessionToken ? { 'x-amz-security-token': sessionToken } : {}),
    };
    expect(signed).toEqual({
      authorization: referenceAuthorization({
        method: 'POST',
        path,
        headers: expectedHeaders,
        body,
        region: 'eu-west-1',
        service: 'bedrock',
        amzDate: '20250102T030405Z',
      }),
      'x-amz-date': '20250102T030405Z',
      'x-amz-content-sha256': sha256(body),
      ...(sessionToken ? { 'x-amz-security-token': sessionToken } : {}),
    });
    expect(signed.authorization).toContain(`/eu-west-1/bedrock/aws4_request`);
  });

  it('signs a path with a query string over its canonical query', async () => {
    const signer = new AwsRequestSigner({
      credentials: { accessKeyId: accessKey, secretAccessKey: secret },
      region: 'us-east-1',
      service: 'service',
      sendsPayloadHash: false,
    });
    const headers = Object.fromEntries(
      await signer.sign({
        method: 'POST',
        host: 'example.amazonaws.com',
        path: '/?Param1=value1',
        body: new Uint8Array(0),
        date: suiteDate,
      }),
    );
    const withoutQuery = Object.fromEntries(
      await signer.sign({
        method: 'POST',
        host: 'example.amazonaws.com',
        path: '/',
        body: new Uint8Array(0),
        date: suiteDate,
      }),
    );
    expect(headers.authorization).not.toBe(withoutQuery.authorization);
  });

  it('never shows its credentials when serialised', () => {
    const signer = new AwsRequestSigner({
      credentials: { accessKeyId: accessKey, secretAccessKey: secret, sessionToken: 'tok-123' },
      region: 'us-east-1',
    });
    const text = JSON.stringify({ backend: { signer } });
    expect(text).toBe('{"backend":{"signer":{"region":"us-east-1","service":"bedrock"}}}');
    expect(signer.hasSessionToken).toBe(true);
  });
});

describe('the host SigV4 signs for', () => {
  it.each([
    ['the regional endpoint Envoy already rewrote to', 'bedrock-runtime.us-east-1.amazonaws.com'],
    ['a FIPS endpoint', 'bedrock-runtime-fips.us-east-1.amazonaws.com'],
    ['a VPC endpoint with a port', 'vpce-0a1b.bedrock-runtime.us-east-1.vpce.amazonaws.com:443'],
    ['an api.aws endpoint', 'bedrock-mantle.us-east-1.api.aws'],
  ])('is the :authority seen when it is %s', (_, seen) => {
    expect(awsSigningHost(seen, 'us-east-1')).toBe(seen);
  });

  it.each([
    ['the client host (auto_host_rewrite not applied yet)', 'gateway.example.com'],
    ['a loopback address', '127.0.0.1:10000'],
    ['a look-alike', 'amazonaws.com.evil.example'],
    ['missing', undefined],
  ])('is the regional Bedrock endpoint when the :authority is %s', (_, seen) => {
    expect(awsSigningHost(seen, 'eu-west-3')).toBe('bedrock-runtime.eu-west-3.amazonaws.com');
  });
});
