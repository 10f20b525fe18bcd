import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isConfigError } from './config-error.js';
import { loadConfig } from './load-config.js';
import { listenAddressSchema, portSchema } from './schemas.js';

const schema = z.strictObject({
  port: portSchema.default(8080),
  address: listenAddressSchema.default(':1063'),
  verbose: z.stringbool().default(false),
});
const keys = {
  port: { flag: 'port', env: 'APP_PORT' },
  address: { flag: 'address' },
  verbose: { flag: 'verbose', boolean: true },
};

function load(argv: string[], env: Record<string, string> = {}) {
  return loadConfig({ schema, keys, argv, env }).config;
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof Error) return err;
  }
  throw new Error('expected an error');
}

describe('loadConfig', () => {
  it('applies schema defaults when nothing is given', () => {
    expect(load([])).toEqual({ port: 8080, address: ':1063', verbose: false });
  });

  it('lets a flag win over the environment', () => {
    expect(load(['--port', '9000'], { APP_PORT: '7000' }).port).toBe(9000);
    expect(load([], { APP_PORT: '7000' }).port).toBe(7000);
  });

  it('treats an empty environment variable as unset', () => {
    expect(load([], { APP_PORT: '' }).port).toBe(8080);
  });

  it('reads boolean flags', () => {
    expect(load(['--verbose']).verbose).toBe(true);
  });

  it.each([
    [['--port', 'abc'], '--port (APP_PORT): expected a port number, got "abc"'],
    [['--port', '70000'], '--port (APP_PORT): expected a port number from 1 to 65535, got 70000'],
    [['--port', '1.5'], '--port (APP_PORT): expected a port number, got "1.5"'],
    [['--port', ''], undefined],
    [['--address', 'nowhere'], '--address: expected unix:/absolute/path.sock, host:port or :port'],
    [['--address', 'unix:relative.sock'], '--address: expected unix:/absolute/path.sock'],
  ])('rejects %j with a one-line message', (argv, message) => {
    if (message === undefined) {
      // An empty flag value is a value, not "unset" (only empty env vars are unset).
      expect(() => load(argv)).toThrow(/expected a port number, got ""/);
      return;
    }
    const err = errorOf(() => load(argv));
    expect(isConfigError(err)).toBe(true);
    expect(err.message).toContain(message);
    expect(err.message).not.toContain('\n');
  });

  it('rejects unknown flags and stray positionals', () => {
    expect(errorOf(() => load(['--nope'])).message).toMatch(/Unknown option '--nope'/);
    expect(isConfigError(errorOf(() => load(['extra'])))).toBe(true);
  });

  it('joins several problems on one line', () => {
    const err = errorOf(() => load(['--port', 'x', '--address', 'y']));
    expect(err.message.split('; ')).toHaveLength(2);
  });
});

describe('listenAddressSchema', () => {
  it.each([
    'unix:/tmp/x.sock',
    'unix:///tmp/x.sock',
    '127.0.0.1:0',
    ':1063',
    'localhost:8080',
    '[::1]:9',
  ])('accepts %s', (value) => {
    expect(listenAddressSchema.safeParse(value).success).toBe(true);
  });
  it.each(['', 'abc', ':99999', 'unix:', 'tcp://x:1'])('rejects %j', (value) => {
    expect(listenAddressSchema.safeParse(value).success).toBe(false);
  });
});
