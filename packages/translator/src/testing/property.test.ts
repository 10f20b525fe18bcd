import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../errors.js';
import { parseRequest } from '../parse-request.js';
import type { Endpoint, Translator } from '../translator.js';
import { conformancePairs } from './pairs.js';

/**
 * Property: for any generated body, a request translator either produces a well-formed upstream
 * request (a path and, when it changes the body, a JSON object body) or throws one of the two
 * user-facing errors — never anything else — and never mutates the parsed request.
 */

const runs = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const json = fc.jsonValue({ maxDepth: 2 });
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('', 'data:image/png;base64,iVBORw0KGgo=', 'https://x.test/a.pdf'),
);

const openAIPart = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.oneof(text, json) }),
  fc.record({
    type: fc.constant('image_url'),
    image_url: fc.oneof(fc.record({ url: text }), json),
  }),
  fc.record(
    {
      type: fc.constantFrom('thinking', 'redacted_thinking', 'refusal', 'input_audio', 'file'),
      text,
      signature: text,
      data: text,
      refusal: text,
    },
    { requiredKeys: ['type'] },
  ),
  json,
);
const toolCall = fc.record(
  {
    id: fc.oneof(fc.string(), json),
    type: fc.constant('function'),
    function: fc.oneof(
      fc.record({
        name: fc.string(),
        arguments: fc.oneof(fc.constant('{"a":1}'), fc.string(), json),
      }),
      json,
    ),
  },
  { requiredKeys: ['function'] },
);
const openAIMessage = fc.record(
  {
    role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool', 'function', 'bogus'),
    content: fc.oneof(text, fc.array(openAIPart, { maxLength: 4 }), fc.constant(null), json),
    tool_calls: fc.oneof(fc.array(toolCall, { maxLength: 3 }), json),
    tool_call_id: fc.oneof(fc.string(), json),
    thinking_blocks: fc.oneof(fc.array(openAIPart, { maxLength: 2 }), json),
  },
  { requiredKeys: ['role'] },
);
const openAIBody = fc.record(
  {
    model: fc.string({ minLength: 1 }),
    messages: fc.oneof(fc.array(openAIMessage, { maxLength: 6 }), json),
    stream: fc.boolean(),
    max_tokens: fc.oneof(fc.integer({ min: -5, max: 100_000 }), fc.double(), json),
    max_completion_tokens: fc.oneof(fc.integer({ min: 1, max: 100_000 }), json),
    temperature: fc.oneof(fc.double({ min: -1, max: 3, noNaN: true }), json),
    top_p: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), json),
    stop: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), json),
    tools: fc.oneof(
      fc.array(
        fc.record({
          type: fc.constantFrom('function', 'custom'),
          function: fc.oneof(fc.record({ name: fc.string(), parameters: json }), json),
        }),
        { maxLength: 3 },
      ),
      json,
    ),
    tool_choice: fc.oneof(fc.constantFrom('auto', 'none', 'required', 'any'), json),
    parallel_tool_calls: fc.oneof(fc.boolean(), json),
    response_format: fc.oneof(
      fc.record({
        type: fc.constantFrom('text', 'json_object', 'json_schema'),
        json_schema: fc.oneof(fc.record({ schema: json }), json),
      }),
      json,
    ),
    reasoning_effort: fc.oneof(fc.constantFrom('low', 'medium', 'high', 'minimal'), json),
    thinking: fc.oneof(
      fc.record({
        type: fc.constantFrom('enabled', 'disabled'),
        budget_tokens: fc.oneof(fc.integer(), json),
      }),
      json,
    ),
    n: fc.oneof(fc.constantFrom(1, 2), json),
    user: fc.oneof(fc.string(), json),
    stream_options: json,
  },
  { requiredKeys: ['model'] },
);

const anthropicBlock = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.oneof(text, json) }),
  fc.record({
    type: fc.constantFrom('image', 'document'),
    source: fc.oneof(
      fc.record({
        type: fc.constantFrom('base64', 'url'),
        media_type: fc.constantFrom('image/png', 'application/pdf', 'x'),
        data: fc.string(),
        url: text,
      }),
      json,
    ),
  }),
  fc.record({
    type: fc.constant('tool_use'),
    id: fc.oneof(fc.string(), json),
    name: fc.oneof(fc.string(), json),
    input: json,
  }),
  fc.record({
    type: fc.constant('tool_result'),
    tool_use_id: fc.oneof(fc.string(), json),
    content: fc.oneof(text, json),
    is_error: fc.boolean(),
  }),
  fc.record({
    type: fc.constantFrom('thinking', 'redacted_thinking', 'server_tool_use'),
    thinking: text,
    signature: text,
  }),
  json,
);
const anthropicBody = fc.record(
  {
    model: fc.string({ minLength: 1 }),
    max_tokens: fc.oneof(fc.integer({ min: 1, max: 64_000 }), json),
    system: fc.oneof(text, fc.array(anthropicBlock, { maxLength: 2 }), json),
    messages: fc.oneof(
      fc.array(
        fc.record({
          role: fc.constantFrom('user', 'assistant', 'system'),
          content: fc.oneof(text, fc.array(anthropicBlock, { maxLength: 4 }), json),
        }),
        { maxLength: 6 },
      ),
      json,
    ),
    stream: fc.boolean(),
    temperature: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), json),
    stop_sequences: fc.oneof(fc.array(fc.string(), { maxLength: 2 }), json),
    tools: fc.oneof(
      fc.array(
        fc.record(
          {
            name: fc.oneof(fc.string(), json),
            type: fc.constantFrom('custom', 'bash_20250124'),
            input_schema: json,
          },
          { requiredKeys: ['name'] },
        ),
        { maxLength: 3 },
      ),
      json,
    ),
    tool_choice: fc.oneof(
      fc.record({
        type: fc.constantFrom('auto', 'any', 'tool', 'none', 'x'),
        name: fc.string(),
        disable_parallel_tool_use: fc.boolean(),
      }),
      json,
    ),
    thinking: fc.oneof(
      fc.record({
        type: fc.constantFrom('enabled', 'disabled', 'adaptive'),
        budget_tokens: fc.oneof(fc.integer(), json),
      }),
      json,
    ),
    metadata: json,
    output_format: json,
    top_k: json,
    anthropic_beta: json,
  },
  { requiredKeys: ['model'] },
);

function check(translator: Translator, endpoint: Endpoint, body: unknown): void {
  const raw = encoder.encode(JSON.stringify(body));
  const request = parseRequest(endpoint, raw);
  const before = decoder.decode(raw);
  try {
    const out = translator.request({
      request,
      path: '/v1/x?y=1',
      headers: new Map([['anthropic-beta', 'b1,b2']]),
    });
    if (typeof out.path !== 'string' || out.path === '') {
      throw new Error(`bad path "${out.path}"`);
    }
    if (out.body !== undefined) {
      const parsed: unknown = JSON.parse(decoder.decode(out.body));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('the translated body is not a JSON object');
      }
    }
  } catch (err) {
    if (!isUserFacing(err)) {
      throw err;
    }
  }
  // The parsed request is shared with retries: translators must not mutate it.
  if (JSON.stringify(request.body) !== before) {
    throw new Error('the translator mutated the parsed request');
  }
}

/** The pairs this file covers (the Anthropic family); other pairs have their own property tests. */
const covered = new Set([
  'openai → anthropic',
  'openai → gcpanthropic',
  'openai → awsanthropic',
  'anthropic → anthropic',
  'anthropic → gcpanthropic',
  'anthropic → awsanthropic',
  'anthropic → openai',
]);

/** The generated bodies, once per ingress dialect (generation dominates the run time). */
const samples = new Map<Endpoint, unknown[]>();

function bodiesFor(endpoint: Endpoint): unknown[] {
  let bodies = samples.get(endpoint);
  if (bodies === undefined) {
    const arbitrary = endpoint === 'messages' ? anthropicBody : openAIBody;
    bodies = fc.sample(arbitrary, { numRuns: runs, seed: 20261127 });
    samples.set(endpoint, bodies);
  }
  return bodies;
}

describe.each(conformancePairs.filter((p) => covered.has(p.name)))(
  'property: $name request translation',
  (pair) => {
    it(`${runs} generated bodies give a valid request or a user-facing error`, () => {
      const bodies = bodiesFor(pair.ingress.endpoint);
      expect(bodies).toHaveLength(runs);
      for (const body of bodies) {
        try {
          check(pair.create(), pair.ingress.endpoint, body);
        } catch (err) {
          throw new Error(`counterexample: ${JSON.stringify(body)}`, { cause: err });
        }
      }
    }, 120_000);
  },
);
