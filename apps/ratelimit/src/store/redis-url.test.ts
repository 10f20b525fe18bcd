import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedisClient, reconnectDelay } from './redis.js';
import { parseRedisUrl } from './redis-url.js';

describe('--redis-url forms', () => {
  it.each([
    {
      url: 'redis://127.0.0.1:6380/2',
      target: { type: 'single', options: { host: '127.0.0.1', port: 6380, db: 2 } },
    },
    {
      url: 'rediss://user:p%40ss@redis.example:6390',
      target: {
        type: 'single',
        options: {
          host: 'redis.example',
          port: 6390,
          db: 0,
          username: 'user',
          password: 'p@ss',
          tls: {},
        },
      },
    },
    {
      url: 'redis://:secret@h',
      target: { type: 'single', options: { host: 'h', port: 6379, password: 'secret' } },
    },
    {
      url: 'unix:/var/run/redis.sock',
      target: { type: 'single', options: { path: '/var/run/redis.sock' } },
    },
    {
      url: 'redis+sentinel://pw@s1:26379,s2/mymaster/1',
      target: {
        type: 'sentinel',
        options: {
          sentinels: [
            { host: 's1', port: 26379 },
            { host: 's2', port: 26379 },
          ],
          name: 'mymaster',
          db: 1,
          password: 'pw',
          sentinelPassword: 'pw',
        },
      },
    },
    {
      url: 'redis+cluster://n1:7000,n2:7001',
      target: {
        type: 'cluster',
        nodes: [
          { host: 'n1', port: 7000 },
          { host: 'n2', port: 7001 },
        ],
      },
    },
  ])('$url', ({ url, target }) => {
    expect(parseRedisUrl(url)).toMatchObject(target);
  });

  it.each(['http://x', 'not a url', 'redis+sentinel://s1:26379'])('rejects %s', (url) => {
    expect(() => parseRedisUrl(url)).toThrow();
  });

  it('constructs Sentinel and Cluster clients through ioredis', () => {
    const sentinel = createRedisClient(parseRedisUrl('redis+sentinel://127.0.0.1:1/m'), 100);
    const cluster = createRedisClient(parseRedisUrl('redis+cluster://127.0.0.1:1'), 100);
    sentinel.on('error', () => undefined);
    cluster.on('error', () => undefined);
    try {
      expect(sentinel).toBeInstanceOf(Redis);
      expect(sentinel.options).toMatchObject({
        name: 'm',
        enableOfflineQueue: false,
        commandTimeout: 100,
      });
      expect(cluster).toBeInstanceOf(Cluster);
    } finally {
      sentinel.disconnect();
      cluster.disconnect();
    }
  });

  it('reconnects with a capped exponential backoff', () => {
    expect([0, 1, 2, 5, 20].map(reconnectDelay)).toEqual([50, 100, 200, 1600, 2000]);
  });
});
