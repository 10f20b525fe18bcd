import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { outputMessages, parentContext } from './otlp-traces.js';

describe('parentContext (the client traceparent)', () => {
  it('continues a valid W3C trace context, sampled flag kept', () => {
    const context = parentContext('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    expect(trace.getSpanContext(context)).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    const unsampled = parentContext('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
    expect(trace.getSpanContext(unsampled)?.traceFlags).toBe(0);
  });

  it('starts a new trace for a missing, malformed or all-zero header', () => {
    for (const header of [
      undefined,
      '',
      'garbage',
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    ]) {
      expect(parentContext(header)).toBe(ROOT_CONTEXT);
    }
  });
});

describe('outputMessages (content capture)', () => {
  const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
  const assistant = (content: string): Record<string, string> => ({
    'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content }]),
  });

  it('reads the answer of an OpenAI or an Anthropic JSON response', () => {
    const openai = { choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' } }] };
    expect(outputMessages(bytes(JSON.stringify(openai)))).toEqual(assistant('Hi there'));
    const anthropic = { type: 'message', content: [{ type: 'text', text: 'Bonjour' }] };
    expect(outputMessages(bytes(JSON.stringify(anthropic)))).toEqual(assistant('Bonjour'));
  });

  it("joins a stream's text deltas (OpenAI chunks, Anthropic text_delta events)", () => {
    const openai = [
      'data: {"choices":[{"delta":{"role":"assistant"}}]}',
      'data: {"choices":[{"delta":{"content":"Hel"}}]}',
      'data: {"choices":[{"delta":{"content":"lo"}}]}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    expect(outputMessages(bytes(openai))).toEqual(assistant('Hello'));
    const anthropic = [
      'event: content_block_delta',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Sa"}}',
      '',
      'event: content_block_delta',
      'data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lut"}}',
      '',
    ].join('\n');
    expect(outputMessages(bytes(anthropic))).toEqual(assistant('Salut'));
  });

  it('records nothing without content', () => {
    expect(outputMessages(undefined)).toEqual({});
    expect(outputMessages(new Uint8Array(0))).toEqual({});
  });
});
