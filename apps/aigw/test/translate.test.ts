import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';

import { main } from '../src/main.js';
import { usage } from '../src/commands/help.js';

/** `aigw translate` against the golden files of @aigw/gateway-config. */
const goldens = new URL('../../../packages/gateway-config/test/testdata/', import.meta.url);
const testdata = new URL('testdata/', import.meta.url);

async function aigw(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await main(argv, { env: {}, stdout, stderr });
  return {
    code,
    stdout: Buffer.concat(out).toString('utf8'),
    stderr: Buffer.concat(err).toString('utf8'),
  };
}

describe('aigw translate', () => {
  it.each(['basic', 'fallback'])('prints the objects of translate-%s.out.yaml', async (name) => {
    const input = fileURLToPath(new URL(`translate-${name}.in.yaml`, goldens));
    const result = await aigw('translate', input);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      readFileSync(new URL(`translate-${name}.out.yaml`, goldens), 'utf8'),
    );
  });

  it('reports every problem on stderr with the file, object and field, and exits 1', async () => {
    const input = fileURLToPath(new URL('translate-invalid.yaml', testdata));
    const result = await aigw('translate', input);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `aigw translate: ${input}: AIServiceBackend default/openai: spec.schema.name: Unsupported value: "OpenAi": supported values: "OpenAI", "Cohere", "AWSBedrock", "AzureOpenAI", "GCPVertexAI", "GCPAnthropic", "Anthropic", "AWSAnthropic"`,
      // The API server's own note that the CEL rules were skipped, as @aigw/api reports it.
      `aigw translate: ${input}: AIServiceBackend default/openai: <nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`,
    ]);
  });

  it('checks references once every object is valid', async () => {
    const input = fileURLToPath(new URL('translate-invalid.yaml', testdata));
    const fixed = readFileSync(input, 'utf8').replace('name: OpenAi', 'name: OpenAI');
    const path = join(mkdtempSync(join(tmpdir(), 'aigw-translate-')), 'routes.yaml');
    writeFileSync(path, fixed);
    const result = await aigw('translate', path);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      `aigw translate: ${path}: AIGatewayRoute default/chat: spec.rules[0].backendRefs[0].name: AIServiceBackend default/missing not found`,
      `aigw translate: ${path}: AIServiceBackend default/openai: spec.backendRef.name: Backend default/openai not found`,
    ]);
  });

  it("warns about fields our CRDs do not know in upstream's own example, and translates it", async () => {
    const upstream = new URL(
      '../../../packages/gateway-config/src/testdata/upstream/openai.yaml',
      import.meta.url,
    );
    const input = fileURLToPath(upstream);
    const result = await aigw('translate', input, input);
    expect(result.code).toBe(0);
    // Given twice (identical content): loaded once, warned once.
    expect(result.stderr).toBe(
      `aigw translate: warning: ${input}: AIServiceBackend default/envoy-ai-gateway-basic-openai: unknown field "spec.schema.capabilities" (ignored)\n`,
    );
    expect(result.stdout).toContain('kind: HTTPRoute');
  });

  it('emits an HTTPRoute backendRef to the Service an AIServiceBackend names', async () => {
    const input = fileURLToPath(new URL('translate-basic.in.yaml', goldens));
    const text = readFileSync(input, 'utf8');
    const path = join(mkdtempSync(join(tmpdir(), 'aigw-translate-')), 'service.yaml');
    writeFileSync(
      path,
      `${text}\n---\napiVersion: aigateway.envoyproxy.io/v1beta1\nkind: AIServiceBackend\nmetadata: {name: vllm}\nspec:\n  schema: {name: OpenAI}\n  backendRef: {name: vllm, port: 8000}\n`,
    );
    const result = await aigw('translate', path);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('names a file it cannot read', async () => {
    const result = await aigw('translate', '/nonexistent/routes.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^aigw translate: cannot read \/nonexistent\/routes\.yaml: ENOENT/,
    );
  });

  it('needs at least one file', async () => {
    const result = await aigw('translate');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no files given');
  });

  it('prints its usage with --help', async () => {
    const result = await aigw('translate', '--help');
    expect(result).toEqual({ code: 0, stdout: usage.translate, stderr: '' });
  });

  it('refuses unknown flags with exit code 2', async () => {
    const result = await aigw('translate', '--bogus', 'x.yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^aigw translate: /);
  });
});
