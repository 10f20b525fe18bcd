import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

async function aigw(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  stderr.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const code = await main(argv, { env: {}, stdout, stderr });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('aigw hash-key', () => {
  it('prints the SHA-256 hex digest of each key, one per line', async () => {
    // sha256("abc") and sha256("sk-test"): FIPS 180-2's vector, and `printf %s sk-test | sha256sum`.
    expect(await aigw(['hash-key', 'abc', 'sk-test'])).toEqual({
      code: 0,
      stdout:
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n' +
        'f3abf2a6cc4f00987743db5f544ba345b4899ae31f326d8ee9c4816de153c9e0\n',
      stderr: '',
    });
  });

  it('refuses to run without a key (exit 2)', async () => {
    const result = await aigw(['hash-key']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give one or more non-empty keys');
  });
});
