import type { Backend, FilterConfig, Routes } from '@aigw/filterapi';
import { ExtprocError, isExtprocError } from '../errors.js';
import { priceCost } from '../budget/price.js';
import { compileCosts, type CompiledCost } from './costs.js';
import type { AwsRequestSigner } from './aws-signer.js';
import {
  credentialFiles,
  loadCredentialHeader,
  loadRequestSigner,
  type CredentialHeader,
} from './credentials.js';

/** A backend with its credential loaded, ready for the hot path. */
export interface RuntimeBackend {
  readonly backend: Backend;
  readonly credential: CredentialHeader | undefined;
  /** For AWS auth: signs each upstream request (SigV4) instead of a fixed credential header. */
  readonly signer?: AwsRequestSigner | undefined;
}

/** Everything the processors need from one applied config: immutable, swapped atomically. */
export interface RuntimeConfig {
  readonly config: FilterConfig;
  readonly backends: ReadonlyMap<string, RuntimeBackend>;
  readonly costs: readonly CompiledCost[];
  /** Files whose change means the config must be rebuilt (the config file and credentials). */
  readonly watchedFiles: readonly string[];
  /** The extproc's own model routing, when the config has `routes`. */
  readonly router: ModelRouter | undefined;
  /**
   * The headers the router level sets for Envoy from this config, which the upstream level
   * removes so they never reach a provider: the model header, the tenant header (with client
   * keys) and the cluster header (with `routes`). Their values stay in dynamic metadata where
   * Envoy needs them later (`request_model`, `tenant`; docs/extproc.md, Headers).
   */
  readonly routingHeaders: readonly string[];
}

/** Model → Envoy cluster, compiled from `routes` (exact names first, then prefixes in order). */
export interface ModelRouter {
  readonly clusterHeader: string;
  clusterFor(model: string): string | undefined;
}

function compileRoutes(routes: Routes | undefined): ModelRouter | undefined {
  if (!routes) return undefined;
  const exact = new Map<string, string>();
  const prefixes: (readonly [string, string])[] = [];
  for (const rule of routes.rules) {
    for (const model of rule.models) {
      if (model.endsWith('*')) prefixes.push([model.slice(0, -1), rule.cluster]);
      else if (!exact.has(model)) exact.set(model, rule.cluster);
    }
  }
  return {
    clusterHeader: routes.clusterHeader,
    clusterFor: (model) =>
      exact.get(model) ?? prefixes.find(([prefix]) => model.startsWith(prefix))?.[1],
  };
}

/** The price catalog's cost of a request in money (docs/budgets.md), when there is one. */
function moneyCost(config: FilterConfig): CompiledCost[] {
  const cost = priceCost(config);
  return cost ? [cost] : [];
}

/** Loads credentials and compiles costs for a parsed config; throws when any part is unusable. */
export async function buildRuntimeConfig(config: FilterConfig): Promise<RuntimeConfig> {
  const entries = await Promise.all(
    config.backends.map(async (backend): Promise<[string, RuntimeBackend]> => {
      try {
        const [credential, signer] = await Promise.all([
          loadCredentialHeader(backend.auth),
          loadRequestSigner(backend.auth),
        ]);
        return [backend.name, { backend, credential, signer }];
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        // A missing or unreadable credential file is a credential problem whatever fs said.
        const code = isExtprocError(err) ? err.code : 'credential_unavailable';
        throw new ExtprocError(code, `backend ${backend.name}: ${why}`, { cause: err });
      }
    }),
  );
  return {
    config,
    backends: new Map(entries),
    costs: [...compileCosts(config.llmRequestCosts), ...moneyCost(config)],
    watchedFiles: config.backends.flatMap((backend) => credentialFiles(backend.auth)),
    router: compileRoutes(config.routes),
    routingHeaders: routingHeaders(config),
  };
}

function routingHeaders(config: FilterConfig): string[] {
  const names = [config.modelNameHeaderKey.toLowerCase()];
  if (config.tenants) names.push(config.tenants.tenantHeader.toLowerCase());
  if (config.routes) names.push(config.routes.clusterHeader);
  return names;
}
