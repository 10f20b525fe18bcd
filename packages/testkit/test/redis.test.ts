import { afterAll, describe, expect, it } from 'vitest';

import { RespClient, startRedis, stopAll, withLogsOnFailure } from '../src/index.js';

withLogsOnFailure();
afterAll(() => stopAll());

describe('startRedis', () => {
  it('starts Redis that answers PING, SET and GET over TCP and the Unix socket', async () => {
    const redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${String(redis.port)}`);
    const client = await redis.client();
    try {
      expect(await client.command('PING')).toBe('PONG');
      expect(await client.command('SET', 'greeting', 'hällo')).toBe('OK');
      expect(await client.command('GET', 'greeting')).toBe('hällo');
      expect(await client.command('GET', 'missing')).toBeNull();
      expect(await client.command('INCRBY', 'n', 5)).toBe(5);
      expect(await client.command('CONFIG', 'GET', 'save')).toEqual(['save', '']);
      await expect(client.command('INCR', 'greeting')).rejects.toThrow(/Redis error: ERR/);
    } finally {
      await client.close();
    }
    const viaSocket = await RespClient.connect({ path: redis.socketPath });
    expect(await viaSocket.command('GET', 'greeting')).toBe('hällo');
    await viaSocket.close();
    expect(redis.logs()).toMatch(/Ready to accept connections/);
    await redis.stop();
    expect(() => process.kill(redis.pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('pipelines commands and answers them in order', async () => {
    const redis = await startRedis({ name: 'pipelined' });
    const client = await redis.client();
    const replies = await Promise.all([
      client.command('SET', 'a', '1'),
      client.command('INCR', 'a'),
      client.command('MGET', 'a', 'b'),
    ]);
    expect(replies).toEqual(['OK', 2, ['2', null]]);
    await client.close();
    await redis.stop();
  });

  it('fails pending commands when the server goes away', async () => {
    const redis = await startRedis({ name: 'vanishing' });
    const client = await redis.client();
    await redis.stop();
    await expect(client.command('PING')).rejects.toThrow(/closed|ECONNRESET|EPIPE/);
  });

  it('rejects with the log tail when redis-server refuses its arguments', async () => {
    await expect(
      startRedis({ name: 'bad-redis', extraArgs: ['--no-such-option', 'x'] }),
    ).rejects.toThrow(
      /bad-redis \(pid \d+\) exited with code 1 before it was ready[\s\S]*no-such-option/,
    );
  });
});
