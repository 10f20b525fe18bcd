import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { group } from './crd.js';
import { kinds } from './kinds/all.js';

/** One `x-kubernetes-validations` entry at a field path (`spec.rules[].backendRefs[]`). */
interface PinnedRule {
  readonly kind: string;
  readonly versions?: readonly string[];
  readonly path: string;
  readonly rule: string;
  readonly message: string;
}

interface Crd {
  spec: {
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Node } }[];
  };
}
interface Node {
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
}

const crdDir = join(import.meta.dirname, '../../../deploy/crds');
const upstream = parse(
  readFileSync(join(import.meta.dirname, 'testdata/upstream/validations.yaml'), 'utf8'),
) as PinnedRule[];

function collect(node: Node, path: string, out: { path: string; rule: string; message: string }[]) {
  for (const v of node['x-kubernetes-validations'] ?? []) out.push({ path, ...v });
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    collect(child, path === '' ? key : `${path}.${key}`, out);
  }
  if (node.items) collect(node.items, `${path}[]`, out);
  if (typeof node.additionalProperties === 'object') {
    collect(node.additionalProperties, `${path}{}`, out);
  }
}

/** Every rule of our generated CRDs (deploy/crds), per kind and version. */
const ours = kinds.flatMap((def) => {
  const crd = parse(readFileSync(join(crdDir, `${group}_${def.plural}.yaml`), 'utf8')) as Crd;
  return crd.spec.versions.flatMap((version) => {
    const out: { path: string; rule: string; message: string }[] = [];
    collect(version.schema.openAPIV3Schema, '', out);
    return out.map((r) => ({ kind: crd.spec.names.kind, version: version.name, ...r }));
  });
});

const key = (r: { kind: string; path: string; rule: string }): string =>
  `${r.kind} ${r.path}: ${r.rule}`;

/**
 * Where we deliberately differ from upstream's rules, or could not read upstream's. Every entry
 * says why; the test fails when an entry is no longer needed.
 */
const onlyOurs: readonly { kind: string; path: string; message: string; reason: string }[] = [
  {
    kind: 'AIServiceBackend',
    path: 'spec.backendRef',
    message:
      'BackendRef must be a Backend resource of Envoy Gateway or a Kubernetes Service. See https://github.com/envoyproxy/ai-gateway/issues/902 for more details.',
    reason:
      'deliberate: a core Service is accepted too (upstream allows only an Envoy Gateway Backend); replaces the rule listed in onlyUpstream',
  },
  {
    kind: 'AIGatewayRoute',
    path: 'spec.rules[]',
    message: "rule name 'route-not-found' is reserved",
    reason:
      'upstream v1.1.0 has this rule (reference/upstream.md §1.1); its marker is not in the stored upstream sources we could read',
  },
  {
    kind: 'MCPRoute',
    path: 'spec.securityPolicy.authorization.rules[].source.jwt',
    message: 'either scopes or claims must be specified',
    reason: 'its marker is not in the stored upstream sources we could read',
  },
  {
    kind: 'QuotaPolicy',
    path: 'spec.perModelQuotas[].quota.bucketRules[].clientSelectors[]',
    message: 'at least one of headers, methods, path or sourceCIDR must be specified',
    reason: 'its marker is not in the stored upstream sources we could read',
  },
];

const onlyUpstream: readonly { kind: string; path: string; message: string; reason: string }[] = [
  {
    kind: 'AIServiceBackend',
    path: 'spec.backendRef',
    message:
      'BackendRef must be a Backend resource of Envoy Gateway. See https://github.com/envoyproxy/ai-gateway/issues/902 for more details.',
    reason: 'deliberate: replaced by our rule that also accepts a Service (see onlyOurs)',
  },
  {
    kind: 'MCPRoute',
    path: 'spec.backendRefs[].securityPolicy',
    message: 'exactly one of apiKey or tokenExchange must be set',
    reason: 'newer than the v1.1.0 API we model: tokenExchange is not part of our MCPRoute yet',
  },
];

describe('CEL messages pinned against upstream (testdata/upstream/validations.yaml)', () => {
  const upstreamByKey = new Map(upstream.map((r) => [key(r), r]));
  const ourKeys = new Set(ours.map(key));

  it.each(ours.map((r) => [`${r.kind} ${r.version} ${r.path}`, r] as const))(
    '%s: %j has upstream’s message',
    (_title, rule) => {
      const pinned = upstreamByKey.get(key(rule));
      if (pinned === undefined) {
        const known = onlyOurs.find(
          (d) => d.kind === rule.kind && d.path === rule.path && d.message === rule.message,
        );
        expect(known, `no upstream rule ${key(rule)} and no reason listed`).toBeDefined();
        return;
      }
      if (pinned.versions && !pinned.versions.includes(rule.version)) {
        throw new Error(`${key(rule)}: upstream has it only in ${pinned.versions.join(', ')}`);
      }
      expect(rule.message).toBe(pinned.message);
    },
  );

  it.each(upstream.map((r) => [`${r.kind} ${r.path}`, r] as const))(
    '%s: upstream rule %j is ours too',
    (_title, pinned) => {
      if (ourKeys.has(key(pinned))) {
        for (const version of pinned.versions ?? []) {
          const found = ours.some((r) => key(r) === key(pinned) && r.version === version);
          expect(found, `${key(pinned)} in ${version}`).toBe(true);
        }
        return;
      }
      const known = onlyUpstream.find(
        (d) => d.kind === pinned.kind && d.path === pinned.path && d.message === pinned.message,
      );
      expect(known, `upstream rule ${key(pinned)} missing and no reason listed`).toBeDefined();
    },
  );

  it('lists only differences that still exist', () => {
    for (const d of onlyOurs) {
      expect(
        ours.some((r) => r.kind === d.kind && r.path === d.path && r.message === d.message),
      ).toBe(true);
    }
    for (const d of onlyUpstream) {
      const both = ours.some(
        (r) => r.kind === d.kind && r.path === d.path && r.message === d.message,
      );
      expect(both, `${d.kind} ${d.path}: ${d.message} is ours now`).toBe(false);
    }
  });
});
