import type { ServerResponse } from 'node:http';
import type { RecordedRequest, UpstreamHandler } from '@aigw/testkit';

/** Token counts a fake backend reports. */
export interface FakeUsage {
  readonly prompt: number;
  readonly completion: number;
  readonly cached: number;
}

/** Behaviour switches, chosen per request by the `x-fake` request header. */
type Mode = 'ok' | 'error-500-text' | 'error-429-json' | 'hang' | 'slow-stream';

function usageJson(usage: FakeUsage): object {
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    prompt_tokens_details: { cached_tokens: usage.cached },
  };
}

/** The SSE frames of a streamed chat completion, as an OpenAI-compatible server sends them. */
export function streamFrames(options: {
  model: string;
  usage: FakeUsage;
  includeUsage: boolean;
}): string[] {
  const base = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model: options.model,
  };
  const frames = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    },
    { ...base, choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: { content: ', wörld 🌍' }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ].map(
    (frame) =>
      `data: ${JSON.stringify(options.includeUsage ? { ...frame, usage: null } : frame)}\n\n`,
  );
  if (options.includeUsage) {
    frames.push(
      `data: ${JSON.stringify({ ...base, choices: [], usage: usageJson(options.usage) })}\n\n`,
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

async function writeSlowly(
  res: ServerResponse,
  frames: readonly string[],
  delayMs: number,
): Promise<void> {
  for (const frame of frames) {
    if (res.destroyed) return;
    res.write(frame);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
  }
  res.end();
}

/**
 * A fake OpenAI-compatible backend: chat completions and embeddings with fixed usage numbers, in
 * JSON or SSE, plus failure modes for the fault tests.
 */
export function fakeOpenAI(options: { name: string; usage: FakeUsage }): UpstreamHandler {
  return async (req: RecordedRequest, res: ServerResponse) => {
    const mode = (req.headers['x-fake'] as Mode | undefined) ?? 'ok';
    if (mode === 'hang') return; // never answers: the route timeout must fire
    if (mode === 'error-500-text') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream exploded');
      return;
    }
    if (mode === 'error-429-json') {
      res.writeHead(429, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { message: 'slow down', type: 'rate_limit_error', param: null, code: null },
        }),
      );
      return;
    }
    const body = JSON.parse(req.body.toString('utf8')) as {
      model: string;
      stream?: boolean;
      stream_options?: { include_usage?: boolean };
    };
    const model = `${body.model}-${options.name}`;
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const frames = streamFrames({
        model,
        usage: options.usage,
        includeUsage: body.stream_options?.include_usage === true,
      });
      await writeSlowly(res, frames, mode === 'slow-stream' ? 200 : 5);
      return;
    }
    const json = JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1,
      model,
      backend: options.name,
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' },
      ],
      usage: usageJson(options.usage),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(json);
  };
}
