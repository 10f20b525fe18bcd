import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as translator from '@aigw/translator';
import { loadResources } from '../resources.js';
import { translateToKubernetes } from '../translate.js';
import {
  anthropicPathPattern,
  defaultEndpointLayout,
  EndpointPrefixError,
  formatEndpointPrefixes,
  isEndpointPrefixError,
  joinPath,
  parseEndpointPrefixes,
  parseRootPrefix,
  rootPathMatch,
  type EndpointLayout,
} from './endpoint-prefixes.js';
import { localReplyConfig } from './local-reply.js';
import { routeConfiguration } from './routes.js';

const defaults = defaultEndpointLayout.prefixes;

// Parsing and joining are @aigw/translator's (tested there); this package re-exports them so that
// aigw and the extproc read a layout the same way.
describe('the layout parsers are the translator’s', () => {
  it('re-exports the very functions the extproc uses', () => {
    expect(parseEndpointPrefixes).toBe(translator.parseEndpointPrefixes);
    expect(parseRootPrefix).toBe(translator.parseRootPrefix);
    expect(joinPath).toBe(translator.joinPath);
    expect(defaultEndpointLayout.prefixes).toEqual(translator.defaultEndpointPrefixes);
  });

  it('formats prefixes back into the flag text', () => {
    const prefixes = { openai: '', cohere: '/co', anthropic: '/claude' };
    expect(formatEndpointPrefixes(prefixes)).toBe('openai:,cohere:/co,anthropic:/claude');
    expect(parseEndpointPrefixes(formatEndpointPrefixes(prefixes))).toEqual(prefixes);
  });

  it('refuses a bad flag with the translator’s typed error', () => {
    expect(() => parseEndpointPrefixes('openai:/,gemini:/g')).toThrow(EndpointPrefixError);
    let caught: unknown;
    try {
      parseRootPrefix('ai');
    } catch (err) {
      caught = err;
    }
    expect(isEndpointPrefixError(caught) && caught.code).toBe('invalid_root_prefix');
  });
});

describe('rootPathMatch', () => {
  it('matches everything under /', () => {
    expect(rootPathMatch('/')).toEqual({ prefix: '/' });
  });

  it('matches a root prefix as a path prefix, not a string prefix', () => {
    expect(rootPathMatch('/ai/')).toEqual({ path_separated_prefix: '/ai' });
  });
});

describe('anthropicPathPattern', () => {
  const under = (layout: Partial<EndpointLayout>): RegExp =>
    new RegExp(anthropicPathPattern({ ...defaultEndpointLayout, ...layout }));

  it('keeps the default pattern equivalent to the old one', () => {
    expect(anthropicPathPattern()).toBe('^(?:/anthropic(?:[/?]|$)|[^?]*/v1/messages(?:[/?]|$))');
  });

  // The same cases as the translator's EndpointMatcher.dialectFor.
  it.each([
    ['/anthropic/v1/messages', true],
    ['/anthropic', true],
    ['/anthropic?x=1', true],
    ['/v1/messages', true],
    ['/v1/messages?beta=true', true],
    ['/v1/messages/count_tokens', true],
    ['/other/v1/messages', true],
    ['/anthropicish', false],
    ['/v1/messagesx', false],
    ['/v1/chat/completions?next=/v1/messages', false],
    ['/v1/chat/completions', false],
  ])('by default judges %s Anthropic: %s', (path, isAnthropic) => {
    expect(under({}).test(path)).toBe(isAnthropic);
  });

  it.each([
    ['/ai/claude.v2/v1/messages', true],
    ['/ai/claude.v2', true],
    ['/ai/claudeXv2', false],
    ['/anthropic/x', false],
    ['/ai/v1/chat/completions', false],
  ])('under /ai with anthropic /claude.v2 judges %s Anthropic: %s', (path, isAnthropic) => {
    const layout = { rootPrefix: '/ai', prefixes: { ...defaults, anthropic: '/claude.v2' } };
    expect(under(layout).test(path)).toBe(isAnthropic);
  });

  it('judges by the API path alone when anthropic shares the openai prefix', () => {
    expect(
      anthropicPathPattern({ rootPrefix: '/ai', prefixes: { ...defaults, anthropic: '' } }),
    ).toBe('^(?:[^?]*/v1/messages(?:[/?]|$))');
  });
});

describe('generation under a root prefix', () => {
  const layout: EndpointLayout = { rootPrefix: '/ai', prefixes: defaults };

  it('puts the anthropic pattern of the layout into the local-reply CEL', () => {
    const text = JSON.stringify(localReplyConfig(layout));
    expect(text).toContain(".matches('^(?:/ai/anthropic(?:[/?]|$)|[^?]*/v1/messages(?:[/?]|$))')");
    expect(JSON.stringify(localReplyConfig())).toContain(
      ".matches('^(?:/anthropic(?:[/?]|$)|[^?]*/v1/messages(?:[/?]|$))')",
    );
  });

  it('escapes the pattern for a CEL string literal', () => {
    const text = JSON.stringify(
      localReplyConfig({ rootPrefix: "/it's", prefixes: { ...defaults, anthropic: '/a.b' } }),
    );
    // JSON doubles each backslash: CEL sees '^(?:/it\'s/a\\.b(?:…' and RE2 `/it's/a\.b`.
    expect(text).toContain(String.raw`.matches('^(?:/it\\'s/a\\\\.b(?:[/?]|$)|`);
  });

  it('matches every route, and the 404 route, on the root prefix', () => {
    const config = routeConfiguration([], { rootPrefix: '/ai' });
    expect(config.virtual_hosts[0]?.routes).toEqual([
      expect.objectContaining({ name: 'route-not-found', match: { path_separated_prefix: '/ai' } }),
    ]);
    const byDefault = routeConfiguration([]);
    expect(byDefault.virtual_hosts[0]?.routes[0]?.match).toEqual({ prefix: '/' });
  });

  it('writes the root prefix into every HTTPRoute path match', () => {
    const basic = readFileSync(new URL('../testdata/basic.yaml', import.meta.url), 'utf8');
    const resources = loadResources([{ path: 'basic.yaml', text: basic }]);
    type Route = { kind: string; spec: { rules: { matches?: { path: { value: string } }[] }[] } };
    const paths = (rootPrefix?: string): string[] =>
      (translateToKubernetes(resources, rootPrefix === undefined ? {} : { rootPrefix }) as Route[])
        .filter((o) => o.kind === 'HTTPRoute')
        .flatMap((route) => route.spec.rules.flatMap((r) => r.matches ?? []))
        .map((m) => m.path.value);
    expect(new Set(paths('/ai'))).toEqual(new Set(['/ai']));
    expect(paths('/ai').length).toBeGreaterThan(2);
    expect(new Set(paths())).toEqual(new Set(['/']));
  });
});
