import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').trim().split('\n') };
}

describe('createLogger', () => {
  it('writes JSON lines with the app name and level', () => {
    const out = capture();
    const log = createLogger({
      name: 'aigw-test',
      level: 'info',
      format: 'json',
      destination: out.stream,
    });
    log.info({ model: 'gpt-4o' }, 'backend selected');
    log.debug('not shown');
    const lines = out.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      name: 'aigw-test',
      msg: 'backend selected',
      model: 'gpt-4o',
      level: 30,
    });
  });

  it('never writes credentials from headers or config objects', () => {
    const out = capture();
    const log = createLogger({
      name: 'aigw-test',
      level: 'info',
      format: 'json',
      destination: out.stream,
    });
    log.info(
      {
        headers: {
          authorization: 'Bearer sk-secret-1',
          'x-api-key': 'sk-secret-2',
          'api-key': 'sk-secret-3',
        },
        backend: { apiKey: 'sk-secret-4' },
        authorization: 'Bearer sk-secret-5',
      },
      'request',
    );
    const text = out.lines().join('\n');
    expect(text).not.toMatch(/sk-secret/);
    expect(text).toContain('[redacted]');
  });
});
