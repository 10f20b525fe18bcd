import { createHash, createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bodyOf,
  commonOf,
  envoy,
  setHeadersOf,
  startTestServer,
  type TestServer,
} from './support/ext-proc-harness.js';
import { routeRequest } from './support/gateway.js';
import { endpointHostnameAttribute } from '../src/processor/upstream-processor.js';

const accessKeyId = 'AKIAINTEGRATION';
const secretAccessKey = 'int-aws-secret/abcdefghijklmnopqrstuvwxyz';
const sessionToken = 'int-session-token+/=';
const bedrock = 'default/bedrock/route/r/rule/0/ref/0';
const claude = 'default/claude/route/r/rule/1/ref/0';
const host = 'bedrock-runtime.us-west-2.amazonaws.com';

const sha256 = (data: string | Uint8Array): string =>
  createHash('sha256').update(data).digest('hex');

/** Recomputes the signature from AWS's documented algorithm (node:crypto only). */
function expectedSignature(options: {
  path: string;
  body: Buffer;
  headers: Record<string, string>;
  signedHeaders: string;
}): string {
  const amzDate = options.headers['x-amz-date'] ?? '';
  const names = options.signedHeaders.split(';');
  const canonicalPath = options.path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  const canonical = [
    'POST',
    canonicalPath,
    '',
    ...names.map((n) => `${n}:${options.headers[n] ?? ''}`),
    '',
    options.signedHeaders,
    sha256(options.body),
  ].join('\n');
  const scope = `${amzDate.slice(0, 8)}/us-west-2/bedrock/aws4_request`;
  let key: Buffer | string = `AWS4${secretAccessKey}`;
  for (const part of [amzDate.slice(0, 8), 'us-west-2', 'bedrock', 'aws4_request']) {
    key = createHmac('sha256', key).update(part).digest();
  }
  return createHmac('sha256', key)
    .update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'))
    .digest('hex');
}

describe('upstream level: AWS SigV4 backends', () => {
  let gateway: TestServer;

  beforeAll(async () => {
    gateway = await startTestServer({
      files: {
        aws: `[default]\naws_access_key_id = ${accessKeyId}\naws_secret_access_key = ${secretAccessKey}\naws_session_token = ${sessionToken}\n`,
      },
      config: (dir) => ({
        version: 'v1',
        backends: [
          {
            name: bedrock,
            schema: { name: 'AWSBedrock' },
            auth: { aws: { credentialsFile: join(dir, 'aws'), region: 'us-west-2' } },
          },
          {
            name: claude,
            schema: { name: 'AWSAnthropic' },
            auth: { aws: { credentialsFile: join(dir, 'aws'), region: 'us-west-2' } },
          },
        ],
      }),
    });
  });

  afterAll(async () => {
    await gateway.stop();
  });

  it.each([
    {
      backend: bedrock,
      model: 'amazon.nova-pro-v1:0',
      path: '/model/amazon.nova-pro-v1:0/converse',
      authority: host,
    },
    {
      backend: claude,
      model: 'anthropic.claude-3-5-haiku-20241022-v1:0',
      path: '/model/anthropic.claude-3-5-haiku-20241022-v1%3A0/invoke',
      authority: 'vpce-0abc.bedrock-runtime.us-west-2.vpce.amazonaws.com',
    },
    {
      // auto_host_rewrite on a new upstream connection: the filter still sees the client's host,
      // the regional endpoint goes on the wire.
      backend: bedrock,
      model: 'amazon.nova-pro-v1:0',
      path: '/model/amazon.nova-pro-v1:0/converse',
      authority: 'gateway.example.com',
    },
    {
      // An endpoint with a host name in its metadata (a local fake behind an IP endpoint): that is
      // what auto_host_rewrite sends, whatever the filter sees.
      backend: bedrock,
      model: 'amazon.nova-pro-v1:0',
      path: '/model/amazon.nova-pro-v1:0/converse',
      authority: 'gateway.example.com',
      hostname: 'bedrock.local',
    },
  ] as { backend: string; model: string; path: string; authority: string; hostname?: string }[])(
    'signs the translated request for $path, seen :authority $authority, replacing client headers',
    async ({ backend, model, path, authority, hostname }) => {
      const { router, id } = await routeRequest(gateway, {
        model,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const upstream = gateway.open();
      const response = await upstream.send(
        envoy.upstreamHeaders(
          {
            ':method': 'POST',
            ':path': '/v1/chat/completions',
            ':authority': authority,
            'x-ai-eg-internal-req-id': id,
            authorization: 'Bearer client-own-key',
            'x-api-key': 'client-own-key',
            'x-amz-security-token': 'client-token',
          },
          backend,
          hostname === undefined ? {} : { [endpointHostnameAttribute]: hostname },
        ),
      );
      upstream.end();
      router.end();
      const common = commonOf(response, 'requestHeaders');
      const set = setHeadersOf(common.headerMutation);
      const body = Buffer.from(bodyOf(common) ?? '', 'utf8');
      expect(set[':path']).toBe(path);
      expect(set['x-amz-security-token']).toBe(sessionToken);
      expect(set['x-amz-content-sha256']).toBe(sha256(body));
      expect(set['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
      const match =
        /^AWS4-HMAC-SHA256 Credential=AKIAINTEGRATION\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
          set.authorization ?? '',
        );
      expect(match?.[1]).toBe('host;x-amz-content-sha256;x-amz-date;x-amz-security-token');
      expect(match?.[2]).toBe(
        expectedSignature({
          path,
          body,
          headers: {
            ...set,
            host: hostname ?? (authority.endsWith('.amazonaws.com') ? authority : host),
          },
          signedHeaders: match?.[1] ?? '',
        }),
      );
      expect(common.headerMutation?.removeHeaders).toEqual(
        expect.arrayContaining(['api-key', 'x-api-key', 'x-ai-eg-internal-req-id']),
      );
      expect(gateway.logs()).not.toContain(secretAccessKey);
      expect(gateway.logs()).not.toContain(sessionToken);
    },
  );

  it('keeps the last good config when the credentials file loses its secret', async () => {
    writeFileSync(join(gateway.dir, 'aws'), `[default]\naws_access_key_id = ${accessKeyId}\n`);
    await gateway.watcher.check();
    expect(gateway.watcher.current.backends.get(bedrock)?.signer).toBeDefined();
    expect(gateway.logs()).toContain('config change rejected');
    expect(gateway.logs()).not.toContain(secretAccessKey);
  });
});
