import type { ClusterOptions, RedisOptions as IoRedisOptions } from 'ioredis';

/**
 * ioredis options without `replyMapping`, whose declaration clashes with
 * `exactOptionalPropertyTypes` (declared `| undefined` in the options, not in the constructor).
 */
export type RedisOptions = Omit<IoRedisOptions, 'replyMapping'>;

/** How to reach Redis, parsed from `--redis-url`. */
export type RedisTarget =
  | { readonly type: 'single'; readonly options: RedisOptions }
  | { readonly type: 'sentinel'; readonly options: RedisOptions }
  | {
      readonly type: 'cluster';
      readonly nodes: readonly { host: string; port: number }[];
      readonly options: Omit<ClusterOptions, 'redisOptions'> & { redisOptions?: RedisOptions };
    };

/** Thrown for a `--redis-url` that none of the supported forms matches. */
export class RedisUrlError extends Error {
  override readonly name = 'RedisUrlError';
}

function hostPorts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(',').map((item) => {
    const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(item.trim());
    const host = match?.[1];
    if (!match || !host) throw new RedisUrlError(`bad host:port "${item}"`);
    return { host, port: match[2] === undefined ? defaultPort : Number(match[2]) };
  });
}

function credentials(auth: string): Pick<RedisOptions, 'username' | 'password'> {
  if (auth === '') return {};
  const decoded = auth.split(':').map((part) => decodeURIComponent(part));
  if (decoded.length === 1) return { password: decoded[0] ?? '' };
  const [username = '', ...rest] = decoded;
  return username === '' ? { password: rest.join(':') } : { username, password: rest.join(':') };
}

const multiHost =
  /^(redis\+sentinel|rediss\+sentinel|redis\+cluster|rediss\+cluster):\/\/(?:([^@/]*)@)?([^/]+)(?:\/(.*))?$/;

function parseMultiHost(match: RegExpExecArray): RedisTarget {
  const [, scheme = '', auth = '', hosts = '', rest = ''] = match;
  const tls = scheme.startsWith('rediss') ? { tls: {} } : {};
  const creds = credentials(auth);
  if (scheme.endsWith('cluster')) {
    return {
      type: 'cluster',
      nodes: hostPorts(hosts, 6379),
      options: { redisOptions: { ...creds, ...tls } },
    };
  }
  const [name = '', db = '0'] = rest.split('/');
  if (name === '')
    throw new RedisUrlError('a sentinel URL names the master: redis+sentinel://h:26379/mymaster');
  return {
    type: 'sentinel',
    options: {
      sentinels: hostPorts(hosts, 26379),
      name,
      db: Number(db) || 0,
      ...creds,
      ...(creds.password === undefined ? {} : { sentinelPassword: creds.password }),
      ...tls,
    },
  };
}

function singleOptions(parsed: URL): RedisOptions {
  const db = Number(parsed.pathname.slice(1) || '0');
  const auth =
    parsed.username === '' && parsed.password === '' ? '' : `${parsed.username}:${parsed.password}`;
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    db: Number.isInteger(db) ? db : 0,
    ...credentials(auth),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * Parses the supported `--redis-url` forms:
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS), `unix:/path/redis.sock`
 * - `redis+sentinel://[user:pass@]host:26379,host2:26379/<master>[/db]` (Sentinel)
 * - `redis+cluster://[user:pass@]host:6379,host2:6379` (Cluster)
 */
export function parseRedisUrl(url: string): RedisTarget {
  if (url.startsWith('unix:') || url.startsWith('/')) {
    return { type: 'single', options: { path: url.replace(/^unix:(\/\/)?/, '') } };
  }
  const multi = multiHost.exec(url);
  if (multi) return parseMultiHost(multi);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new RedisUrlError(`not a URL: "${url}"`, { cause: err });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUrlError(`unsupported scheme "${parsed.protocol}"`);
  }
  return { type: 'single', options: singleOptions(parsed) };
}
