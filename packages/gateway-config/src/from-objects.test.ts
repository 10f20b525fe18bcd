import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

import { isResourceError } from './errors.js';
import { compareListOrder, resourcesFromObjects, translateObjects } from './from-objects.js';
import { loadResources } from './resources.js';
import { translateToKubernetes } from './translate.js';

const upstreamBasic = readFileSync(
  new URL('testdata/upstream/basic.yaml', import.meta.url),
  'utf8',
);

const parsed = (text: string): object[] =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as unknown)
    .filter((o): o is object => typeof o === 'object' && o !== null);

/** What the API server adds to a stored object, none of which the generators may read. */
function asStored(object: object, index: number): object {
  const o = object as { metadata: Record<string, unknown> };
  return {
    ...o,
    metadata: {
      ...o.metadata,
      resourceVersion: String(100 + index),
      managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
    },
    status: { conditions: [{ type: 'Accepted', status: 'True' }] },
  };
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (err) {
    if (isResourceError(err)) return err.problems;
    throw err;
  }
  return [];
}

describe('resourcesFromObjects', () => {
  it('generates what aigw translate generates from the same manifests (upstream examples/basic)', () => {
    const fromFile = translateToKubernetes(
      loadResources([{ path: 'basic.yaml', text: upstreamBasic }], { target: 'kubernetes' }),
    );
    const { generated } = translateObjects(parsed(upstreamBasic).map(asStored));
    // HTTPRoute, two HTTPRouteFilters; config Secrets: one part, the index, the legacy one.
    expect(generated.map((o) => o.kind)).toEqual([
      'HTTPRoute',
      'HTTPRouteFilter',
      'HTTPRouteFilter',
      'Secret',
      'Secret',
      'Secret',
    ]);
    expect(generated).toEqual(fromFile.slice(0, generated.length));
  });

  it('names the object and the field, without a file', () => {
    const objects = parsed(upstreamBasic).filter(
      (o) => (o as { kind: string }).kind !== 'AIServiceBackend',
    );
    expect(problemsOf(() => resourcesFromObjects(objects, { target: 'kubernetes' }))).toContain(
      'AIGatewayRoute default/envoy-ai-gateway-basic: spec.rules[0].backendRefs[0].name: AIServiceBackend default/envoy-ai-gateway-basic-openai not found',
    );
  });

  it('reports unknown fields as warnings naming the object', () => {
    const set = resourcesFromObjects(parsed(upstreamBasic), { target: 'kubernetes' });
    expect(set.warnings).toEqual([
      'AIGatewayRoute default/envoy-ai-gateway-basic: unknown field "spec.schema" (ignored)',
    ]);
  });

  it('strips the file prefix from generation problems too', () => {
    const text = upstreamBasic.replace(
      '  rules:\n',
      '  llmRequestCosts:\n    - {metadataKey: k, type: InputToken}\n    - {metadataKey: k, type: OutputToken}\n  rules:\n',
    );
    expect(problemsOf(() => translateObjects(parsed(text)))).toEqual([
      'AIGatewayRoute default/envoy-ai-gateway-basic: spec.llmRequestCosts[1].metadataKey: "k" is listed twice',
    ]);
  });

  it('orders objects as the API server lists them: namespace, then name', () => {
    const object = (namespace: string | undefined, name: string) => ({
      metadata: namespace === undefined ? { name } : { namespace, name },
    });
    const sorted = [
      object('b', 'a'),
      object('a', 'b-c'),
      object('a-b', 'a'),
      object('a', 'b'),
      object(undefined, 'z'),
    ].sort(compareListOrder);
    expect(sorted.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)).toEqual([
      '/z',
      'a-b/a',
      'a/b',
      'a/b-c',
      'b/a',
    ]);
  });
});
