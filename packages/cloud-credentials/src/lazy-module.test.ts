import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

import { isCredentialError } from './errors.js';
import { lazyModule } from './lazy-module.js';

describe('lazyModule', () => {
  it('imports once, at the first call, for concurrent and later callers alike', async () => {
    let imports = 0;
    const load = lazyModule('some-sdk', () => {
      imports += 1;
      return Promise.resolve({ answer: 42 });
    });
    expect(imports).toBe(0);
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    await load();
    expect(imports).toBe(1);
  });

  it('fails with CredentialError internal naming the module, and tries again next time', async () => {
    let imports = 0;
    const load = lazyModule('some-sdk', () => {
      imports += 1;
      return imports === 1
        ? Promise.reject(new Error("Cannot find package 'some-sdk'"))
        : Promise.resolve({ answer: 42 });
    });
    const error: unknown = await load().catch((err: unknown) => err);
    expect(isCredentialError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'internal',
      message: "cannot load some-sdk, which this exchange needs: Cannot find package 'some-sdk'",
    });
    await expect(load()).resolves.toEqual({ answer: 42 });
    expect(imports).toBe(2);
  });

  it('turns a loader that throws synchronously into the same rejection', async () => {
    const load = lazyModule('some-sdk', () => {
      throw new Error('boom');
    });
    await expect(load()).rejects.toMatchObject({ name: 'CredentialError', code: 'internal' });
  });
});

interface ProbeLine {
  readonly step: string;
  readonly loaded: readonly string[];
  readonly error?: { readonly name: string; readonly code: string; readonly message: string };
}

const probe = fileURLToPath(new URL('testdata/sdk-load-probe.ts', import.meta.url));

/**
 * Runs testdata/sdk-load-probe.ts in a fresh Node process (its own module cache, unlike this
 * worker's), which reports after each step which cloud SDKs Node has loaded.
 */
async function runProbe(args: readonly string[]): Promise<ProbeLine[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@aigw/source', '--no-warnings', probe, ...args],
    // A deadline that fails the test loudly if the probe hangs; not a timing assertion.
    { timeout: 60_000 },
  );
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as ProbeLine);
}

describe('the cloud SDKs are loaded at the first exchange that needs them', () => {
  it('importing the package and running a rotator loads none; each exchange loads only its own', async () => {
    const lines = await runProbe(['aws', 'azure', 'gcp']);
    expect(lines.map((line) => ({ step: line.step, loaded: line.loaded }))).toEqual([
      { step: 'import', loaded: [] },
      { step: 'aws', loaded: ['aws'] },
      { step: 'azure', loaded: ['aws', 'azure'] },
      { step: 'gcp', loaded: ['aws', 'azure', 'gcp'] },
    ]);
    // Each exchange got past loading its SDK, to the (aborted) OIDC request.
    for (const line of lines.slice(1)) {
      expect(line.error).toMatchObject({ name: 'CredentialError', code: 'unreachable' });
    }
  });

  it.each([
    { step: 'aws', module: '@aws-sdk/client-sts' },
    { step: 'azure', module: '@azure/identity' },
    { step: 'gcp', module: 'google-auth-library' },
  ])(
    'the $step exchange fails with CredentialError internal when $module cannot be loaded',
    async ({ step, module }) => {
      // Twice: the failure is not cached as success, nor does it escape as an unhandled
      // rejection (which would kill the probe before it prints the second line).
      const lines = await runProbe(['--break', module, step, step]);
      expect(lines.map((line) => ({ step: line.step, loaded: line.loaded }))).toEqual([
        { step: 'import', loaded: [] },
        { step, loaded: [] },
        { step, loaded: [] },
      ]);
      for (const line of lines.slice(1)) {
        expect(line.error).toMatchObject({ name: 'CredentialError', code: 'internal' });
        expect(line.error?.message).toContain(`cannot load ${module}, which this exchange needs`);
      }
    },
  );
});
