/**
 * The bytes the benchmark sends and the fake backend answers, shared by both so the client can
 * check every response without parsing it.
 */

/** The model the client asks for; the gateway routes it to the one backend cluster. */
export const benchModel = 'gpt-bench';

/** Token counts the fake backend reports (and the gateway must record). */
export const benchUsage = { prompt: 27, completion: 19, cached: 4 } as const;

/** A small, realistic chat completion request (~200 bytes). */
export function chatRequest(options: { readonly stream: boolean }): Buffer {
  return Buffer.from(
    JSON.stringify({
      model: benchModel,
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Say hello to the benchmark in one short sentence, please.' },
      ],
      temperature: 0.2,
      max_tokens: 64,
      ...(options.stream ? { stream: true } : {}),
    }),
  );
}

const upstreamModel = 'gpt-bench-2025-01-01';

function usageJson(): object {
  const { prompt, completion, cached } = benchUsage;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The non-streamed answer, shaped like OpenAI's (~700 bytes, usage included). */
export const chatResponse: Buffer = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion',
    created: 1741569952,
    model: upstreamModel,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Hello, benchmark! Nice to meet you.',
          refusal: null,
          annotations: [],
        },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usageJson(),
    service_tier: 'default',
    system_fingerprint: 'fp_06737a9306',
  }),
);

/**
 * The SSE frames of a streamed answer: `count` chunks (role, content tokens, finish), then — only
 * when the request asked for it with `stream_options.include_usage` — OpenAI's usage-only chunk
 * (`choices: []`), and `[DONE]`. With include_usage every chunk also carries `"usage":null`, as
 * OpenAI sends it.
 */
export function streamFrames(options: { readonly count: number; readonly includeUsage: boolean }): {
  readonly chunks: readonly Buffer[];
  /** Written together after the last chunk: the usage chunk (if asked for) and `[DONE]`. */
  readonly tail: Buffer;
} {
  const base = {
    id: 'chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT',
    object: 'chat.completion.chunk',
    created: 1741569952,
    model: upstreamModel,
    service_tier: 'default',
    system_fingerprint: 'fp_06737a9306',
  };
  const usage = options.includeUsage ? { usage: null } : {};
  const chunks: Buffer[] = [];
  for (let i = 0; i < options.count; i++) {
    const isFirst = i === 0;
    const isLast = i === options.count - 1;
    const delta = isFirst
      ? { role: 'assistant', content: '', refusal: null }
      : isLast
        ? {}
        : { content: ` tok${String(i)}` };
    const choice = { index: 0, delta, logprobs: null, finish_reason: isLast ? 'stop' : null };
    chunks.push(
      Buffer.from(`data: ${JSON.stringify({ ...base, choices: [choice], ...usage })}\n\n`),
    );
  }
  const usageChunk = options.includeUsage
    ? `data: ${JSON.stringify({ ...base, choices: [], usage: usageJson() })}\n\n`
    : '';
  return { chunks, tail: Buffer.from(`${usageChunk}data: [DONE]\n\n`) };
}
