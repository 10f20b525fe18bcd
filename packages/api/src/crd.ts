/**
 * CRD descriptions (kind, names, versions) and their rendering as apiextensions.k8s.io/v1
 * CustomResourceDefinition objects.
 */
import type { ObjSchema } from './schema/dsl.js';
import { obj, str } from './schema/dsl.js';
import { sortKeys, toOpenApi, type JsonObject } from './schema/openapi.js';

/** The API group of every kind here. */
export const group = 'aigateway.envoyproxy.io';

/** Versions served by this group. */
export const apiVersions = ['v1alpha1', 'v1beta1'] as const;

/** One of {@link apiVersions}. */
export type ApiVersionName = (typeof apiVersions)[number];

/** One served version of a kind. */
export interface VersionDef {
  readonly name: ApiVersionName;
  readonly storage: boolean;
  /** Served with a deprecation warning pointing at v1beta1. */
  readonly deprecated: boolean;
  readonly spec: ObjSchema;
  readonly status: ObjSchema;
}

/** A kind of the group with its names and versions. */
export interface KindDef {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly description: string;
  readonly shortNames?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly versions: readonly VersionDef[];
}

/** The `Status` printer column every kind has. */
const statusPrinterColumn = {
  jsonPath: '.status.conditions[-1:].type',
  name: 'Status',
  type: 'string',
} as const;

/** The warning kubectl prints for a deprecated version. */
export const deprecationWarning = `${group}/v1alpha1 is deprecated; use ${group}/v1beta1 instead`;

/** The whole object schema of one version (apiVersion, kind, metadata, spec, status). */
export function rootSchema(def: KindDef, version: VersionDef): ObjSchema {
  return obj(
    {
      apiVersion: str({ description: 'Versioned schema of this object.' }),
      kind: str({ description: 'REST resource this object represents.' }),
      metadata: obj({}),
      spec: version.spec,
      status: version.status,
    },
    { description: def.description },
  );
}

function versionObject(def: KindDef, version: VersionDef): JsonObject {
  return sortKeys({
    additionalPrinterColumns: [{ ...statusPrinterColumn }],
    deprecated: version.deprecated ? true : undefined,
    deprecationWarning: version.deprecated ? deprecationWarning : undefined,
    name: version.name,
    schema: { openAPIV3Schema: toOpenApi(rootSchema(def, version)) },
    served: true,
    storage: version.storage,
    subresources: { status: {} },
  });
}

/** Renders a kind as an apiextensions.k8s.io/v1 CustomResourceDefinition object. */
export function toCrd(def: KindDef): JsonObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: sortKeys({
      labels: def.labels ? { ...def.labels } : undefined,
      name: `${def.plural}.${group}`,
    }),
    spec: {
      group,
      names: sortKeys({
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        shortNames: def.shortNames ? [...def.shortNames] : undefined,
        singular: def.singular,
      }),
      scope: 'Namespaced',
      versions: def.versions.map((v) => versionObject(def, v)),
    },
  };
}
