import { isDeepStrictEqual } from 'node:util';

import { validateResource } from '@aigw/api';
import { LineCounter, parseAllDocuments } from 'yaml';
import type { z } from 'zod';

import { ResourceError } from './errors.js';
import {
  backendSchema,
  backendTrafficPolicySchema,
  gatewaySchema,
  otherObjectSchema,
  secretSchema,
} from './kube-types.js';
import { regexProblems } from './re2.js';
import { checkReferences, type Target } from './references.js';
import type { Loaded, ResourceSet } from './resource-set.js';
import { formatZodIssue } from './zod-issues.js';

/** One input file: its path (named in errors) and its text (multi-document YAML). */
export interface SourceFile {
  readonly path: string;
  readonly text: string;
  /**
   * The file's documents already parsed (the controller's informer cache): used instead of
   * parsing `text`, which YAML makes slow for thousands of objects. Plain JSON data.
   */
  readonly documents?: readonly Readonly<Record<string, unknown>>[];
}

/** Options of {@link loadResources}. */
export interface LoadOptions {
  /**
   * What the resources are loaded for: `standalone` (default; `aigw run`, which resolves every
   * backend itself and refuses what it cannot serve) or `kubernetes` (`aigw translate`, whose
   * output a cluster resolves, e.g. an AIServiceBackend pointing at a Service).
   */
  readonly target?: Target;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

const aiGroup = 'aigateway.envoyproxy.io/';

/**
 * Parses and validates every document of `files` and checks the references between them. Our CRDs
 * go through `@aigw/api`'s validator (the API server's rules and defaults), the Envoy Gateway and
 * core kinds through this package's schemas. Empty documents are skipped. A field our CRDs do not
 * know is dropped with a warning, as an API server without strict field validation (and
 * upstream's `aigw run`) does; an invalid value of a known field is an error. The same object
 * given twice with identical content counts once; two different objects with the same kind,
 * namespace and name are an error naming both files.
 *
 * @throws ResourceError listing every problem, one per line:
 *   `<file>: <Kind> <namespace>/<name>: <field path>: <message>`.
 */
export function loadResources(
  files: readonly SourceFile[],
  options: LoadOptions = {},
): ResourceSet {
  const set: Mutable<ResourceSet> = {
    aiGatewayRoutes: [],
    aiServiceBackends: [],
    backendSecurityPolicies: [],
    quotaPolicies: [],
    backends: [],
    backendTrafficPolicies: [],
    gateways: [],
    secrets: [],
    others: [],
    warnings: [],
  };
  const problems: string[] = [];
  const seen = new Map<string, Loaded<unknown>>();
  let position = 0;
  for (const file of files) {
    for (const doc of parseFile(file, problems)) {
      const loaded = loadDocument({ ...doc, position: position++ }, { problems, set });
      if (loaded !== undefined && isFirst(loaded, { seen, problems })) add(set, loaded);
    }
  }
  if (problems.length === 0) problems.push(...checkReferences(set, options.target ?? 'standalone'));
  if (problems.length > 0) throw new ResourceError(problems);
  return set;
}

/**
 * Whether `loaded` is the first object with its kind, namespace and name. The same manifest
 * listed twice (two files that overlap, a file given twice) is harmless and counts once; a
 * different one is a problem naming both files.
 */
function isFirst(
  loaded: LoadedDocument,
  context: { readonly seen: Map<string, Loaded<unknown>>; readonly problems: string[] },
): boolean {
  const id = `${loaded.kind} ${loaded.entry.namespace}/${loaded.entry.name}`;
  const first = context.seen.get(id);
  if (first === undefined) {
    context.seen.set(id, loaded.entry);
    return true;
  }
  if (!isDeepStrictEqual(first.manifest, loaded.entry.manifest)) {
    context.problems.push(
      `${loaded.entry.file}: ${id}: defined twice with different content (also in ${first.file})`,
    );
  }
  return false;
}

interface Document {
  readonly file: string;
  readonly index: number;
  readonly position?: number;
  readonly value: Record<string, unknown>;
}

function parseFile(file: SourceFile, problems: string[]): Document[] {
  if (file.documents !== undefined) {
    return file.documents.map((value, index) => ({ file: file.path, index, value }));
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(file.text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (!Array.isArray(docs)) {
    // An empty stream (only comments) parses to an EmptyStream.
    return [];
  }
  const out: Document[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const { line, col } = lineCounter.linePos(err.pos[0]);
        problems.push(`${file.path}:${String(line)}:${String(col)}: ${firstLine(err.message)}`);
      }
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${file.path}: document ${String(index + 1)}: expected a Kubernetes object`);
      return;
    }
    out.push({ file: file.path, index, value: value as Record<string, unknown> });
  });
  return out;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

type Bucket = Exclude<keyof ResourceSet, never>;

interface LoadedDocument {
  readonly kind: string;
  readonly bucket: Bucket;
  readonly entry: Loaded<unknown>;
}

const aiBuckets: Readonly<Record<string, Bucket>> = {
  AIGatewayRoute: 'aiGatewayRoutes',
  AIServiceBackend: 'aiServiceBackends',
  BackendSecurityPolicy: 'backendSecurityPolicies',
  QuotaPolicy: 'quotaPolicies',
};

const kubeKinds: readonly {
  readonly apiVersion: (v: string) => boolean;
  readonly kind: string;
  readonly bucket: Bucket;
  readonly schema: z.ZodType;
}[] = [
  {
    apiVersion: (v) => v === 'gateway.envoyproxy.io/v1alpha1',
    kind: 'Backend',
    bucket: 'backends',
    schema: backendSchema,
  },
  {
    apiVersion: (v) => v === 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    bucket: 'backendTrafficPolicies',
    schema: backendTrafficPolicySchema,
  },
  {
    apiVersion: (v) => v.startsWith('gateway.networking.k8s.io/'),
    kind: 'Gateway',
    bucket: 'gateways',
    schema: gatewaySchema,
  },
  { apiVersion: (v) => v === 'v1', kind: 'Secret', bucket: 'secrets', schema: secretSchema },
];

function identity(doc: Document): { kind: string; namespace: string; name: string } {
  const { kind, metadata } = doc.value;
  const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<
    string,
    unknown
  >;
  return {
    kind: typeof kind === 'string' && kind !== '' ? kind : '(no kind)',
    namespace:
      typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default',
    name: typeof meta.name === 'string' && meta.name !== '' ? meta.name : '(no name)',
  };
}

/** One of our CRs: validated as the API server would, unknown fields dropped with a warning. */
function loadOurs(
  doc: Document,
  out: { readonly label: string; readonly problems: string[]; readonly set: Mutable<ResourceSet> },
): unknown {
  const { label, problems } = out;
  const result = validateResource(doc.value, { unknownFields: 'warn' });
  for (const w of result.warnings) {
    // A file given twice is loaded once; say so once too.
    const warning = `${label}: ${w} (ignored)`;
    if (!out.set.warnings.includes(warning)) out.set.warnings.push(warning);
  }
  if (!result.ok) {
    problems.push(...result.errors.map((e) => `${label}: ${e}`));
    return undefined;
  }
  problems.push(...regexProblems(doc.value.spec, 'spec').map((p) => `${label}: ${p}`));
  return result.value;
}

function loadDocument(
  doc: Document,
  out: { readonly problems: string[]; readonly set: Mutable<ResourceSet> },
): LoadedDocument | undefined {
  const { problems } = out;
  const { kind, namespace, name } = identity(doc);
  const label = `${doc.file}: ${kind} ${namespace}/${name}`;
  const apiVersion = typeof doc.value.apiVersion === 'string' ? doc.value.apiVersion : '';
  const base = {
    file: doc.file,
    index: doc.index,
    position: doc.position ?? 0,
    namespace,
    name,
    manifest: doc.value,
  };
  if (apiVersion.startsWith(aiGroup)) {
    const result = loadOurs(doc, { label, ...out });
    if (result === undefined) return undefined;
    const bucket = aiBuckets[kind] ?? 'others';
    return { kind, bucket, entry: { ...base, resource: result } };
  }
  const known = kubeKinds.find((k) => k.kind === kind && k.apiVersion(apiVersion));
  const schema = known?.schema ?? otherObjectSchema;
  const parsed = schema.safeParse(doc.value);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((issue) => `${label}: ${formatZodIssue(issue)}`));
    return undefined;
  }
  if (known !== undefined) {
    problems.push(...regexProblems(doc.value.spec, 'spec').map((p) => `${label}: ${p}`));
  }
  return { kind, bucket: known?.bucket ?? 'others', entry: { ...base, resource: parsed.data } };
}

function add(set: Mutable<ResourceSet>, loaded: LoadedDocument): void {
  (set[loaded.bucket] as Loaded<unknown>[]).push(loaded.entry);
}
