import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import { createTranslator } from '../registry.js';
import { utf8Decoder, utf8Encoder } from '../shared/bytes.js';
import type { BackendSchemaName, Endpoint, TranslatedRequest } from '../translator.js';

/**
 * The per-backend policy for what Anthropic clients (Claude Code) send beside the conversation:
 * the `anthropic-beta` header, `cache_control` markers, earlier turns' thinking with signatures,
 * and tool_use ids. docs/extproc.md ("Anthropic Messages: what each backend gets") says the same.
 */

const gcp = { project: 'p', region: 'us-east5' };
const betaHeaders = new Map([
  ['anthropic-version', '2023-06-01'],
  ['anthropic-beta', 'interleaved-thinking-2025-05-14,context-management-2025-06-27'],
]);
const betas = ['interleaved-thinking-2025-05-14', 'context-management-2025-06-27'];
const cached = { cache_control: { type: 'ephemeral' } };

const conversation = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  thinking: { type: 'enabled', budget_tokens: 1024 },
  system: [{ type: 'text', text: 'You are Claude Code.', ...cached }],
  tools: [{ name: 'Read', input_schema: { type: 'object' }, ...cached }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Read a.txt', ...cached }] },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I will read it.', signature: 'sig-abc' },
        { type: 'tool_use', id: 'toolu_01Stable', name: 'Read', input: { path: 'a.txt' } },
      ],
    },
    {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_01Stable', content: 'hello' }],
    },
  ],
};

function translate(endpoint: Endpoint, name: BackendSchemaName): TranslatedRequest {
  const raw = utf8Encoder.encode(JSON.stringify(conversation));
  return createTranslator({ endpoint, schema: { name }, gcp }).request({
    request: parseRequest(endpoint, raw),
    path: '/anthropic/v1/messages',
    headers: betaHeaders,
  });
}

function bodyText(out: TranslatedRequest): string {
  return out.body === undefined ? JSON.stringify(conversation) : utf8Decoder.decode(out.body);
}

describe('anthropic-beta: passed where the provider reads it, dropped where it means nothing', () => {
  it('Anthropic: the header goes as it came, the body untouched', () => {
    const out = translate('messages', 'Anthropic');
    expect(out.body).toBeUndefined();
    expect(out.headers.remove).not.toContain('anthropic-beta');
  });

  it.each<BackendSchemaName>(['GCPAnthropic', 'AWSAnthropic'])(
    '%s: the header values also go in the body as anthropic_beta',
    (name) => {
      const body = JSON.parse(bodyText(translate('messages', name))) as Record<string, unknown>;
      expect(body.anthropic_beta).toEqual(betas);
    },
  );

  it.each<BackendSchemaName>(['OpenAI', 'AWSBedrock'])(
    '%s: the anthropic-beta and anthropic-version headers are removed, nothing in the body',
    (name) => {
      const out = translate('messages', name);
      expect(out.headers.remove).toEqual(
        expect.arrayContaining(['anthropic-beta', 'anthropic-version']),
      );
      expect(bodyText(out)).not.toContain('interleaved-thinking');
    },
  );
});

describe('cache_control: mapped where the backend caches prompts, dropped where not', () => {
  it.each<BackendSchemaName>(['Anthropic', 'GCPAnthropic', 'AWSAnthropic'])(
    '%s: the markers travel as they are',
    (name) => {
      expect(bodyText(translate('messages', name)).match(/"cache_control"/g)).toHaveLength(3);
    },
  );

  it('AWSBedrock (Converse): one cachePoint after each marked system block, tool and message block', () => {
    const text = bodyText(translate('messages', 'AWSBedrock'));
    expect(text.match(/"cachePoint":\{"type":"default"\}/g)).toHaveLength(3);
    expect(text).not.toContain('cache_control');
  });

  it('OpenAI: dropped (OpenAI caches prompts by itself)', () => {
    expect(bodyText(translate('messages', 'OpenAI'))).not.toContain('cache_control');
  });
});

describe('earlier turns: thinking signatures kept, tool_use ids stable', () => {
  it.each<BackendSchemaName>(['Anthropic', 'GCPAnthropic', 'AWSAnthropic', 'AWSBedrock'])(
    '%s: the signature and the tool_use id reach the provider unchanged',
    (name) => {
      const text = bodyText(translate('messages', name));
      expect(text).toContain('"sig-abc"');
      expect(text.match(/toolu_01Stable/g)).toHaveLength(2);
    },
  );

  it('OpenAI: the tool_use id is the tool call id and the tool message names it', () => {
    const text = bodyText(translate('messages', 'OpenAI'));
    expect(text).toContain('"id":"toolu_01Stable"');
    expect(text).toContain('"tool_call_id":"toolu_01Stable"');
  });
});
