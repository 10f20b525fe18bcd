import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseFilterConfig } from '@aigw/filterapi';

import {
  filterConfigKey,
  loadResources,
  manifestsToYaml,
  translateToKubernetes,
} from '@aigw/gateway-config';

/**
 * Golden files: `testdata/translate-<case>.in.yaml` through `translateToKubernetes` must print
 * `testdata/translate-<case>.out.yaml` (update with `vitest -u`).
 */
const testdata = new URL('testdata/', import.meta.url);
const cases = readdirSync(testdata)
  .filter((name) => name.startsWith('translate-') && name.endsWith('.in.yaml'))
  .map((name) => name.slice('translate-'.length, -'.in.yaml'.length));

function translate(name: string): string {
  const path = `translate-${name}.in.yaml`;
  const text = readFileSync(new URL(path, testdata), 'utf8');
  return manifestsToYaml(translateToKubernetes(loadResources([{ path, text }])));
}

describe('translateToKubernetes goldens', () => {
  it('has cases', () => {
    expect(cases).toContain('basic');
  });

  it.each(cases)('translate-%s', async (name) => {
    await expect(translate(name)).toMatchFileSnapshot(
      new URL(`translate-${name}.out.yaml`, testdata).pathname,
    );
  });

  it.each(cases)('translate-%s: the config Secret holds a valid filter config', (name) => {
    const docs = parseAllDocuments(translate(name)).map((d) => d.toJS() as Record<string, unknown>);
    const secrets = docs.filter(
      (d) =>
        d.kind === 'Secret' &&
        (d.stringData as Record<string, string> | undefined)?.[filterConfigKey],
    );
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      const text = (secret.stringData as Record<string, string>)[filterConfigKey]!;
      expect(() => parseFilterConfig(text)).not.toThrow();
    }
  });
});
