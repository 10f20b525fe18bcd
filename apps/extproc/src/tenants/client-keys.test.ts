import { describe, expect, it } from 'vitest';
import { FilterConfigSchema, filterConfigVersion, type Tenants } from '@aigw/filterapi';
import {
  authenticateClient,
  clientKeyOf,
  compileTenants,
  hashClientKey,
  queryKeyOf,
} from './client-keys.js';

const tenants = (extra: Partial<{ required: boolean }> = {}): Tenants => {
  const parsed = FilterConfigSchema.parse({
    version: filterConfigVersion,
    tenants: {
      keys: [
        { tenant: 'acme', sha256: hashClientKey('sk-acme-1') },
        { tenant: 'acme', sha256: hashClientKey('sk-acme-2') },
        { tenant: 'globex', sha256: hashClientKey('sk-globex') },
      ],
      ...extra,
    },
  });
  if (!parsed.tenants) throw new Error('no tenants');
  return parsed.tenants;
};

describe('client keys', () => {
  it('hashes a key as the SHA-256 hex digest (the value the config stores)', () => {
    // sha256("abc"), FIPS 180-2 test vector.
    expect(hashClientKey('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it.each([
    [{ authorization: 'Bearer sk-1' }, 'sk-1'],
    [{ authorization: 'bearer   sk-1 ' }, 'sk-1'],
    [{ 'x-api-key': 'sk-2' }, 'sk-2'],
    [{ authorization: 'Basic abc', 'x-api-key': 'sk-3' }, 'sk-3'],
    [{ 'api-key': 'sk-azure' }, 'sk-azure'],
    [{ 'x-goog-api-key': 'sk-gemini' }, 'sk-gemini'],
    [{ 'x-api-key': ' ' }, undefined],
    [{ authorization: 'Basic abc' }, undefined],
    [{}, undefined],
  ])('reads the key of %o as %s', (headers, key) => {
    expect(clientKeyOf(new Map(Object.entries(headers)))).toBe(key);
  });

  it('reads a Gemini client’s ?key= query parameter, and only for the Gemini dialect', () => {
    const path = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=sk-globex';
    const headers = new Map([[':path', path]]);
    expect(queryKeyOf(path)).toBe('sk-globex');
    expect(queryKeyOf('/v1beta/models/m:generateContent?key=')).toBeUndefined();
    expect(queryKeyOf('/v1beta/models/m:generateContent')).toBeUndefined();
    expect(authenticateClient(tenants(), { headers, dialect: 'gemini' })).toMatchObject({
      kind: 'admitted',
      tenant: 'globex',
    });
    // On an OpenAI path the query goes upstream: a key there is not taken (nor kept secret).
    expect(authenticateClient(tenants(), { headers, dialect: 'openai' })).toMatchObject({
      kind: 'refused',
    });
  });

  it('maps every key of a tenant to it and an unknown key to nothing', () => {
    const directory = compileTenants(tenants());
    expect(directory.tenantOf('sk-acme-1')).toBe('acme');
    expect(directory.tenantOf('sk-acme-2')).toBe('acme');
    expect(directory.tenantOf('sk-globex')).toBe('globex');
    expect(directory.tenantOf('sk-acme-3')).toBeUndefined();
    expect(directory.tenantOf(hashClientKey('sk-acme-1'))).toBeUndefined();
  });

  it('sets the tenant header and removes every client key header', () => {
    const decision = authenticateClient(tenants(), {
      headers: new Map([
        ['authorization', 'Bearer sk-globex'],
        ['x-aigw-tenant', 'acme'],
      ]),
      dialect: 'openai',
    });
    expect(decision).toEqual({
      kind: 'admitted',
      tenant: 'globex',
      set: [['x-aigw-tenant', 'globex']],
      remove: ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'],
    });
  });

  it.each([
    ['openai', { authorization: 'Bearer nope' }, 'invalid API key'],
    ['anthropic', { 'x-api-key': 'nope' }, 'invalid API key'],
    ['openai', {}, 'missing API key'],
  ] as const)('refuses a %s client with %o: 401 in its dialect', (dialect, headers, message) => {
    const decision = authenticateClient(tenants(), {
      headers: new Map(Object.entries(headers)),
      dialect,
    });
    if (decision.kind !== 'refused') throw new Error('expected a refusal');
    expect(decision.error.status).toBe(401);
    const body = JSON.parse(Buffer.from(decision.error.body).toString('utf8')) as {
      type?: string;
      error: { type: string; message: string };
    };
    expect(body.error.type).toBe('authentication_error');
    expect(body.error.message).toContain(message);
    if (dialect === 'anthropic') expect(body.type).toBe('error');
  });

  it('admits an unknown key without a tenant when keys are optional, still stripping it', () => {
    const decision = authenticateClient(tenants({ required: false }), {
      headers: new Map([
        ['authorization', 'Bearer nope'],
        ['x-aigw-tenant', 'acme'],
      ]),
      dialect: 'openai',
    });
    expect(decision).toEqual({
      kind: 'admitted',
      tenant: undefined,
      set: [],
      remove: ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'x-aigw-tenant'],
    });
  });

  it('leaves requests alone when no client keys are configured', () => {
    const decision = authenticateClient(undefined, {
      headers: new Map([['authorization', 'Bearer sk-provider']]),
      dialect: 'openai',
    });
    expect(decision).toEqual({ kind: 'admitted', tenant: undefined, set: [], remove: [] });
  });

  it('refuses a config whose digest is not a SHA-256 hex digest, or given twice', () => {
    const result = FilterConfigSchema.safeParse({
      version: filterConfigVersion,
      tenants: {
        keys: [
          { tenant: 'a', sha256: 'sk-raw-key' },
          { tenant: 'b', sha256: hashClientKey('k') },
          { tenant: 'c', sha256: hashClientKey('k') },
        ],
      },
    });
    expect(result.success).toBe(false);
    const issues = result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues).toEqual([
      'tenants.keys.0.sha256: must be a SHA-256 digest: 64 lower-case hex digits (aigw hash-key prints one)',
      expect.stringMatching(/^tenants\.keys\.2\.sha256: duplicate client key digest/),
    ]);
  });
});
