import { afterAll, describe, expect, it } from 'vitest';

import { jsonResponder, sseResponder, startFakeUpstream, stopAll } from '../src/index.js';

afterAll(() => stopAll());

describe('startFakeUpstream', () => {
  it('records each request before the handler answers', async () => {
    const upstream = await startFakeUpstream(jsonResponder(201, { id: 'x' }, { 'x-extra': '1' }));
    const response = await fetch(`${upstream.url}/path?q=1`, { method: 'PUT', body: 'payload' });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-extra')).toBe('1');
    expect(await response.json()).toEqual({ id: 'x' });
    expect(upstream.requests.map((r) => [r.method, r.url, r.body.toString()])).toEqual([
      ['PUT', '/path?q=1', 'payload'],
    ]);
    await upstream.close();
  });

  it('streams OpenAI-style server-sent events', async () => {
    const upstream = await startFakeUpstream(sseResponder(['{"a":1}', '[DONE]'], { delayMs: 5 }));
    const response = await fetch(upstream.url);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('data: {"a":1}\n\ndata: [DONE]\n\n');
    await upstream.close();
  });

  it('writes raw frames verbatim', async () => {
    const upstream = await startFakeUpstream(
      sseResponder(['event: ping\ndata: {}\n\n'], { isRaw: true }),
    );
    expect(await (await fetch(upstream.url)).text()).toBe('event: ping\ndata: {}\n\n');
    await upstream.close();
  });

  it('turns a throwing handler into a 500 and a log line', async () => {
    const upstream = await startFakeUpstream(() => {
      throw new Error('boom');
    });
    const response = await fetch(upstream.url);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain('boom');
    expect(upstream.logs()).toContain('handler error for GET /: Error: boom');
    await upstream.close();
  });

  it('closes even with keep-alive connections open', async () => {
    const upstream = await startFakeUpstream(jsonResponder(200, {}));
    await (await fetch(upstream.url, { headers: { connection: 'keep-alive' } })).text();
    await upstream.close();
    await expect(fetch(upstream.url)).rejects.toThrow();
  });
});
