import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { aiGatewayRouteSchema, type AIGatewayRoute } from '@aigw/api';
import { parseAllDocuments } from 'yaml';

import type { SourceFile } from '@aigw/gateway-config';

import { HookError } from './errors.js';
import { MapRouteStore, type BudgetInput } from './route-store.js';

const v1beta1 = 'aigateway.envoyproxy.io/v1beta1';

function yamlFiles(paths: readonly string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => /\.ya?ml$/.test(f))
          .sort()
          .map((f) => join(path, f))
      : [path],
  );
}

/** The AIGatewayRoutes of one file (v1alpha1 ones read as v1beta1: the route spec is the same). */
export function routesOfFile(file: string, text: string): AIGatewayRoute[] {
  const routes: AIGatewayRoute[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      throw new HookError(
        'routes_unavailable',
        `${file}: document ${String(i)}: ${doc.errors[0]?.message ?? ''}`,
      );
    }
    const object: unknown = doc.toJS();
    if (
      typeof object !== 'object' ||
      object === null ||
      (object as { kind?: unknown }).kind !== 'AIGatewayRoute'
    ) {
      return;
    }
    const parsed = aiGatewayRouteSchema.safeParse({ ...object, apiVersion: v1beta1 });
    if (!parsed.success) {
      throw new HookError(
        'routes_unavailable',
        `${file}: document ${String(i)}: invalid AIGatewayRoute: ${parsed.error.message}`,
      );
    }
    const route = parsed.data;
    routes.push({
      ...route,
      metadata: { ...route.metadata, namespace: route.metadata.namespace ?? 'default' },
    });
  });
  return routes;
}

/**
 * Standalone mode: AIGatewayRoutes from YAML files (or directories of them). `refresh()` re-reads
 * them when a file's size or mtime changed; the hooks call it first, so a route edited next to the
 * HTTPRoutes Envoy Gateway's file provider watches is seen by the translation that edit triggers.
 * The files as read are the token budgets' input ({@link budgetInput}).
 */
export class FileRouteStore extends MapRouteStore {
  readonly #paths: readonly string[];
  #sources: readonly SourceFile[] = [];
  #stamp = '';

  constructor(paths: readonly string[]) {
    super();
    this.#paths = paths;
  }

  refresh(): void {
    const files = yamlFiles(this.#paths);
    const stamp = files
      .map((f) => {
        const s = statSync(f);
        return `${f}:${String(s.size)}:${String(s.mtimeMs)}`;
      })
      .join('|');
    if (stamp === this.#stamp) return;
    const sources = files.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
    const routes = sources.flatMap((f) => routesOfFile(f.path, f.text));
    this.#sources = sources;
    this.replace(routes);
    this.#stamp = stamp;
  }

  /** The files as last read, every kind (BackendTrafficPolicies, QuotaPolicies, backends, …). */
  override budgetInput(): BudgetInput {
    return { version: this.version, files: this.#sources };
  }
}
