import { describe, expect, it } from 'vitest';

import {
  authKind,
  backendAuthKinds,
  FilterConfigSchema,
  type BackendAuth,
  type BackendAuthKind,
  type FilterConfigInput,
} from './schema.js';

const authOf: Record<BackendAuthKind, BackendAuth> = {
  apiKey: { apiKey: { file: '/k' } },
  azureApiKey: { azureApiKey: { file: '/k' } },
  anthropicApiKey: { anthropicApiKey: { file: '/k' } },
  aws: { aws: { credentialsFile: '/c', region: 'us-east-1' } },
  azure: { azure: { tokenFile: '/t' } },
  gcp: { gcp: { tokenFile: '/t', region: 'us-central1', projectName: 'p' } },
};

describe('authKind', () => {
  it.each(backendAuthKinds)('names the %s kind', (kind) => {
    expect(authKind(authOf[kind])).toBe(kind);
  });

  it('throws for an object that carries no kind', () => {
    expect(() => authKind({} as BackendAuth)).toThrow(TypeError);
  });
});

describe('FilterConfigSchema used directly', () => {
  const input: FilterConfigInput = {
    version: 'v1',
    backends: [{ name: 'b', schema: { name: 'AWSBedrock' }, auth: authOf.aws }],
  };

  it('validates what a writer builds and freezes the result', () => {
    const config = FilterConfigSchema.parse(input);
    expect(config.backends[0]?.auth).toEqual(authOf.aws);
    expect(Object.isFrozen(config.backends[0]?.auth)).toBe(true);
  });

  it('rejects another version too', () => {
    const result = FilterConfigSchema.safeParse({ ...input, version: 'v0' });
    expect(result.error?.issues[0]?.path).toEqual(['version']);
  });
});
