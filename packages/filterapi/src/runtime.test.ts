import { describe, expect, it } from 'vitest';

import { parseFilterConfig } from './config.js';
import { backendByName, serviceBackendOf } from './runtime.js';

const config = parseFilterConfig(`
version: v1
backends:
  - { name: ns/a/route/r/rule/0/ref/0, schema: { name: OpenAI } }
  - { name: ns/b/route/r/rule/0/ref/1, schema: { name: Cohere } }
`);

describe('backendByName', () => {
  it('returns the backend object of the config', () => {
    expect(backendByName(config, 'ns/b/route/r/rule/0/ref/1')).toBe(config.backends[1]);
    expect(backendByName(config, 'ns/a/route/r/rule/0/ref/0')).toBe(config.backends[0]);
  });

  it('returns undefined for an unknown name', () => {
    expect(backendByName(config, 'ns/c/route/r/rule/0/ref/0')).toBeUndefined();
  });

  it('keeps one index per config', () => {
    const reloaded = parseFilterConfig(`
version: v1
backends: [{ name: ns/a/route/r/rule/0/ref/0, schema: { name: AWSBedrock } }]
`);
    expect(backendByName(reloaded, 'ns/a/route/r/rule/0/ref/0')?.schema.name).toBe('AWSBedrock');
    expect(backendByName(config, 'ns/a/route/r/rule/0/ref/0')?.schema.name).toBe('OpenAI');
    expect(backendByName(reloaded, 'ns/b/route/r/rule/0/ref/1')).toBeUndefined();
  });
});

describe('serviceBackendOf', () => {
  it.each([
    ['ns/openai/route/chat/rule/0/ref/1', { namespace: 'ns', name: 'openai' }],
    ['team-a/b.v2/route/r-1/rule/12/ref/3', { namespace: 'team-a', name: 'b.v2' }],
  ])('reads the AIServiceBackend of %s', (name, expected) => {
    expect(serviceBackendOf(name)).toEqual(expected);
  });

  it.each([
    'openai',
    'ns/openai',
    'ns/openai/route/chat',
    'ns/a/route/r/rule/x/ref/0',
    'a/b/c/route/r/rule/0/ref/0',
  ])('is undefined for a name of another form: %s', (name) => {
    expect(serviceBackendOf(name)).toBeUndefined();
  });
});
