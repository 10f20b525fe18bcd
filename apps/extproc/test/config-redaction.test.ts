import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseFilterConfig } from '@aigw/filterapi';
import { createLogger } from '@aigw/service-kit';
import { buildRuntimeConfig } from '../src/runtime/runtime-config.js';

const secrets = {
  key: 'sk-inline-9f8e7d6c5b4a',
  azure: 'eyJ-azure-token-1234567',
  aws: 'aws-secret-key-abcdef0123',
  gcp: 'ya29.gcp-token-7654321',
};

const configText = JSON.stringify({
  version: 'v1',
  uuid: 'gen-1',
  backends: [
    {
      name: 'ns/a/route/r/rule/0/ref/0',
      schema: { name: 'OpenAI' },
      auth: { apiKey: { key: secrets.key } },
    },
    {
      name: 'ns/b/route/r/rule/0/ref/1',
      schema: { name: 'AzureOpenAI' },
      auth: { azure: { accessToken: secrets.azure } },
    },
    {
      name: 'ns/c/route/r/rule/0/ref/2',
      schema: { name: 'AWSBedrock' },
      auth: {
        aws: {
          credentialFileLiteral: `[default]\naws_access_key_id = AKIA1\naws_secret_access_key = ${secrets.aws}\n`,
          region: 'us-east-1',
        },
      },
    },
    {
      name: 'ns/d/route/r/rule/0/ref/3',
      schema: { name: 'GCPVertexAI' },
      auth: { gcp: { accessToken: secrets.gcp, region: 'us-east5', projectName: 'p' } },
    },
  ],
});

describe('inline credentials and the logs', () => {
  it('never prints a key, whatever part of the config a log line carries', async () => {
    let out = '';
    const log = createLogger({
      name: 'aigw-extproc',
      level: 'trace',
      format: 'json',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out += chunk.toString();
          callback();
        },
      }),
    });
    const config = parseFilterConfig(configText);
    const runtime = await buildRuntimeConfig(config);
    const [backend] = config.backends;
    log.info({ config }, 'a whole config');
    log.info({ runtime: { config } }, 'a runtime config');
    for (const one of config.backends) log.debug({ backend: one }, 'one backend');
    log.debug({ auth: backend?.auth }, 'one auth block');
    log.debug({ apiKey: backend?.auth }, 'a key block');
    log.debug({ upstream: { headers: { authorization: `Bearer ${secrets.key}` } } }, 'headers');
    log.debug(
      { secret: { data: { chunk: Buffer.from(configText).toString('base64') } } },
      'a part',
    );
    expect(runtime.backends.get('ns/a/route/r/rule/0/ref/0')?.credential?.value).toBe(
      `Bearer ${secrets.key}`,
    );
    expect(out.split('\n').filter(Boolean)).toHaveLength(10);
    for (const value of Object.values(secrets)) expect(out).not.toContain(value);
    expect(out).not.toContain(Buffer.from(configText).toString('base64').slice(0, 40));
  });
});
