import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRequest } from '../parse-request.js';
import type { JsonObject } from '../shared/json.js';
import { anthropicSse, bedrockEventStream } from './anthropic-codec.js';
import type { ConformancePair } from './conformance.js';
import { conformancePairs } from './pairs.js';

/**
 * Property: whatever events an upstream streams (any order, any fields, any chunking, corrupt
 * framing included), the Anthropic-family stream translators never throw and always hand the
 * client valid UTF-8.
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });
const json = fc.jsonValue({ maxDepth: 2 });

const anthropicEvent = fc.record(
  {
    type: fc.constantFrom(
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
      'ping',
      'error',
      'x',
    ),
    index: fc.oneof(fc.nat(3), json),
    message: fc.oneof(fc.record({ id: fc.string(), model: fc.string(), usage: json }), json),
    content_block: fc.oneof(
      fc.record({
        type: fc.constantFrom('text', 'thinking', 'tool_use', 'redacted_thinking'),
        id: fc.string(),
        name: fc.string(),
        input: json,
        text: fc.string(),
      }),
      json,
    ),
    delta: fc.oneof(
      fc.record({
        type: fc.constantFrom(
          'text_delta',
          'thinking_delta',
          'signature_delta',
          'input_json_delta',
        ),
        text: fc.string(),
        thinking: fc.string(),
        signature: fc.string(),
        partial_json: fc.string(),
        stop_reason: fc.string(),
      }),
      json,
    ),
    usage: json,
    error: json,
  },
  { requiredKeys: ['type'] },
);
const openAIChunk = fc.oneof(
  fc.record({
    id: fc.string(),
    model: fc.string(),
    choices: fc.oneof(
      fc.array(
        fc.record({
          index: fc.nat(2),
          delta: fc.oneof(
            fc.record({
              content: fc.oneof(fc.string(), json),
              reasoning_content: fc.string(),
              tool_calls: fc.oneof(
                fc.array(
                  fc.record({
                    index: fc.oneof(fc.nat(2), json),
                    id: fc.string(),
                    function: fc.oneof(
                      fc.record({ name: fc.string(), arguments: fc.string() }),
                      json,
                    ),
                  }),
                ),
                json,
              ),
            }),
            json,
          ),
          finish_reason: fc.oneof(fc.constantFrom('stop', 'length', 'tool_calls'), json),
        }),
        { maxLength: 2 },
      ),
      json,
    ),
    usage: json,
  }),
  fc.record({ error: json }),
  json,
);

const covered = [
  'openai → anthropic',
  'openai → awsanthropic',
  'anthropic → anthropic',
  'anthropic → awsanthropic',
  'anthropic → openai',
];

type Format = 'openai-sse' | 'anthropic-sse' | 'eventstream';

/** The wire bytes of `events` in `format`, with one byte flipped when `corruptAt` is set. */
function wireOf(
  format: Format,
  events: readonly JsonObject[],
  corruptAt: number | null,
): Uint8Array {
  let wire: Uint8Array;
  if (format === 'openai-sse') {
    const frames = events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
    wire = encoder.encode(`${frames}data: [DONE]\n\n`);
  } else {
    wire =
      format === 'eventstream' ? bedrockEventStream(events) : encoder.encode(anthropicSse(events));
  }
  if (corruptAt !== null && wire.length > 0) {
    const at = corruptAt % wire.length;
    wire[at] = (wire[at] ?? 0) ^ 0x5a;
  }
  return wire;
}

/** Feeds `wire` to a fresh translator of `pair` in chunks of `size`; returns what the client gets. */
function feedAll(pair: ConformancePair, wire: Uint8Array, size: number): Uint8Array[] {
  const translator = pair.create();
  const body = pair.ingress.encodeRequest({
    model: 'm',
    messages: [],
    stream: true,
    maxTokens: 10,
  });
  translator.request({
    request: parseRequest(pair.ingress.endpoint, encoder.encode(JSON.stringify(body))),
    path: pair.ingress.path,
  });
  const type = pair.name.endsWith('awsanthropic')
    ? 'application/vnd.amazon.eventstream'
    : 'text/event-stream';
  translator.responseHeaders(200, new Map([['content-type', type]]));
  const out: Uint8Array[] = [];
  let at = 0;
  do {
    const chunk = wire.slice(at, at + size);
    at += size;
    out.push(translator.responseBody(chunk, at >= wire.length).body ?? chunk);
  } while (at < wire.length);
  return out;
}

describe.each(conformancePairs.filter((p) => covered.includes(p.name)))(
  'stream property: $name',
  (pair) => {
    const format: Format =
      pair.name === 'anthropic → openai'
        ? 'openai-sse'
        : pair.name.endsWith('awsanthropic')
          ? 'eventstream'
          : 'anthropic-sse';
    const events =
      format === 'openai-sse'
        ? fc.array(openAIChunk, { maxLength: 8 })
        : fc.array(anthropicEvent, { maxLength: 8 });
    // A passthrough forwards what it got: only translated output must be valid UTF-8.
    const isPassthrough = pair.name === 'anthropic → anthropic';

    it('never throws and emits valid UTF-8 for arbitrary events, chunking and corruption', () => {
      fc.assert(
        fc.property(
          events,
          fc.integer({ min: 4, max: 64 }),
          fc.option(fc.nat(4000)),
          (list, size, corruptAt) => {
            const out = feedAll(pair, wireOf(format, list as JsonObject[], corruptAt), size);
            if (isPassthrough && corruptAt !== null) {
              return;
            }
            for (const part of out) {
              expect(() => strictDecoder.decode(part, { stream: true })).not.toThrow();
            }
          },
        ),
        { numRuns: 100, seed: 7 },
      );
    }, 120_000);
  },
);
