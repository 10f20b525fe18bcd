import { describe, expect, it } from 'vitest';
import { createEndpointMatcher, type Dialect } from '@aigw/translator';
import {
  coherePathPattern,
  defaultEndpointLayout,
  type EndpointLayout,
} from './endpoint-prefixes.js';
import { localReplyConfig } from './local-reply.js';
import type { AccessLogFilter, JsonFormat, ResponseMapper } from './types.js';

const defaults = defaultEndpointLayout.prefixes;

/** The RE2 pattern of a mapper's path check (unescaped from its CEL literal), if it has one. */
function pathPattern(filter: AccessLogFilter): string | undefined {
  if (!('and_filter' in filter)) return undefined;
  const [only] = filter.and_filter.filters;
  if (only === undefined || !('extension_filter' in only)) return undefined;
  const literal = /\.matches\('((?:[^'\\]|\\.)*)'\)/.exec(
    only.extension_filter.typed_config.expression,
  );
  return literal?.[1]?.replace(/\\(.)/g, '$1');
}

/** The dialect an error body of a mapper is written in, read from its shape. */
function dialectOfBody(json: JsonFormat): Dialect {
  if (Object.keys(json).join() === 'message') return 'cohere';
  if (json.type === 'error') return 'anthropic';
  const error = json.error as JsonFormat;
  return 'status' in error ? 'gemini' : 'openai';
}

/**
 * The dialect Envoy answers `path` in, evaluated as Envoy evaluates the mappers (first match wins)
 * for a rate-limited request: the RL mapper whose path check (if any) matches. RE2's syntax in
 * these patterns is a subset of JavaScript's.
 */
function localReplyDialect(mappers: readonly ResponseMapper[], path: string): Dialect | undefined {
  for (const mapper of mappers.slice(1)) {
    const pattern = pathPattern(mapper.filter);
    if (pattern !== undefined && !new RegExp(pattern).test(path)) continue;
    if (!JSON.stringify(mapper.filter).includes('"flags":["RL"]')) continue;
    return dialectOfBody(mapper.body_format_override!.json_format);
  }
  return undefined;
}

const paths = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/messages',
  '/v1/messages/count_tokens?beta=true',
  '/anthropic/v1/messages',
  '/cohere/v2/rerank',
  '/cohere/v2/rerank?x=1',
  '/cohere',
  '/cohereish/v2/rerank',
  '/cohere/v1/messages',
  '/cohere/v1beta/models/m:generateContent',
  '/anthropic/v1/models/m:generateContent',
  '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
  '/ai/co/v2/rerank',
  '/ai/v1/chat/completions',
  '/ai/claude/v1/messages',
  '/co/v2/rerank',
];

const layouts: [string, EndpointLayout][] = [
  ['the default layout', defaultEndpointLayout],
  [
    'root /ai, cohere /co, anthropic /claude',
    { rootPrefix: '/ai', prefixes: { openai: '', cohere: '/co', anthropic: '/claude' } },
  ],
  ['cohere sharing the openai prefix', { rootPrefix: '/', prefixes: { ...defaults, cohere: '' } }],
];

describe('localReplyConfig', () => {
  it.each(layouts)('answers every path in the dialect the extproc uses, in %s', (_name, layout) => {
    const { mappers } = localReplyConfig(layout);
    const matcher = createEndpointMatcher(layout);
    for (const path of paths) {
      expect([path, localReplyDialect(mappers, path)]).toEqual([path, matcher.dialectFor(path)]);
    }
  });

  it('answers Cohere clients with Cohere’s {"message"} body, Envoy’s text or its own', () => {
    const { mappers } = localReplyConfig();
    const cohere = mappers.filter((m) => pathPattern(m.filter) === '^/cohere(?:[/?]|$)');
    expect(cohere.map((m) => [m.status_code, m.body_format_override])).toEqual([
      [
        undefined,
        { json_format: { message: 'rate limit exceeded' }, content_type: 'application/json' },
      ],
      [
        504,
        { json_format: { message: 'upstream request timeout' }, content_type: 'application/json' },
      ],
      [
        undefined,
        { json_format: { message: '%LOCAL_REPLY_BODY%' }, content_type: 'application/json' },
      ],
      [
        undefined,
        { json_format: { message: '%LOCAL_REPLY_BODY%' }, content_type: 'application/json' },
      ],
      [
        undefined,
        { json_format: { message: '%LOCAL_REPLY_BODY%' }, content_type: 'application/json' },
      ],
    ]);
    for (const mapper of cohere) {
      expect(mapper.headers_to_add).toEqual([
        {
          header: { key: 'x-aigw-local-reply', value: 'true' },
          append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
        },
      ]);
    }
  });

  it('has no Cohere mappers when the cohere prefix cannot tell Cohere clients apart', () => {
    const shared: EndpointLayout = { rootPrefix: '/ai', prefixes: { ...defaults, cohere: '' } };
    expect(coherePathPattern(shared)).toBeUndefined();
    expect(
      coherePathPattern({ rootPrefix: '/', prefixes: { ...defaults, openai: '/o', cohere: '' } }),
    ).toBeUndefined();
    expect(localReplyConfig(shared).mappers).toHaveLength(16);
    expect(localReplyConfig().mappers).toHaveLength(21);
  });

  it('escapes the cohere prefix as a regular expression', () => {
    const layout = { rootPrefix: '/', prefixes: { ...defaults, cohere: '/co.here' } };
    expect(coherePathPattern(layout)).toBe(String.raw`^/co\.here(?:[/?]|$)`);
    expect(localReplyDialect(localReplyConfig(layout).mappers, '/coXhere/v2/rerank')).toBe(
      'openai',
    );
  });
});
