import type { BackendSecurityPolicySpec } from '@aigw/api';
import {
  filterConfigVersion,
  responsesApiModes,
  type BackendAuth,
  type FilterConfigInput,
  type LLMRequestCost,
} from '@aigw/filterapi';
import { servesResponsesApi } from '@aigw/translator';

import { exactModels, type Plan, type PlannedRef, type PlannedRule } from './plan.js';
import {
  objectLabel,
  type AnyAIGatewayRoute,
  type AnyBackendSecurityPolicy,
  type Loaded,
} from './resource-set.js';
import { byName } from './references.js';
import { inlineAuth } from './kubernetes-credentials.js';
import { secretKeys, secretValue } from './secrets.js';
import type { Secret } from './kube-types.js';

/** How the filter config carries credentials, and what it adds to the routes'. */
export type FilterConfigOptions = FilterConfigCommonOptions &
  (
    | {
        /**
         * `aigw run`: credentials are files. Every credential is in its Secret now, or is
         * exchanged by the caller: a policy that needs an exchange gets its file path, no
         * content, and a {@link CredentialRotation}.
         */
        readonly mode: 'standalone';
        /** The absolute path the extproc reads a credential file from, given its file name. */
        readonly credentialPath: (fileName: string) => string;
      }
    | {
        /**
         * The controller and `aigw translate`: credentials are inlined in the config (see
         * `inlineAuth`), exchanged ones read from the controller's rotated Secret
         * `ai-eg-bsp-<policy>`, which may not exist yet.
         */
        readonly mode: 'kubernetes';
      }
  );

/** What both modes take. */
export interface FilterConfigCommonOptions {
  /** More costs (e.g. the quota costs), appended after the routes' own. */
  readonly extraCosts?: readonly LLMRequestCost[];
  /**
   * More `/v1/models` entries, after the routes' exact models (a name listed there wins): what a
   * provider lists for a route that sends it any model (`aigw run`'s embedded default).
   */
  readonly extraModels?: readonly ModelEntry[];
  /**
   * The extproc's token estimate for limits that reserve at admission (docs/budgets.md), from
   * `buildRateLimits`; absent when no limit reserves.
   */
  readonly tokenReservation?: FilterConfigInput['tokenReservation'];
}

/**
 * The exchanges a policy can need (the same names as `@aigw/cloud-credentials`' `RotationKind`,
 * which this package does not depend on: it stays free of I/O).
 */
export type CredentialRotationKind =
  | 'aws-oidc'
  | 'azure-client-secret'
  | 'azure-oidc'
  | 'gcp-service-account-key'
  | 'gcp-workload-identity';

/**
 * A credential the caller must obtain by exchange and keep fresh, writing it to `path` (standalone
 * mode only): `aigw run` runs one rotator per entry.
 */
export interface CredentialRotation {
  /** The BackendSecurityPolicy (hub version) and the file it was loaded from. */
  readonly policy: {
    readonly namespace: string;
    readonly name: string;
    readonly file: string;
    readonly spec: BackendSecurityPolicySpec;
  };
  readonly kind: CredentialRotationKind;
  /**
   * The absolute path of the credential file the filter config names: the AWS shared-credentials
   * file, or the access token for Azure and GCP. The same path a static credential would have.
   */
  readonly path: string;
  /** The Secret keys the exchange reads, each with the spec field that names it. */
  readonly secretRefs: readonly {
    readonly field: string;
    readonly namespace: string;
    readonly name: string;
    readonly key: string;
  }[];
  /**
   * The data of those Secrets (`namespace/name` → key → value), as loaded: secret material, for
   * the exchange only (never log it). Part of the entry so that an edited Secret is a change.
   */
  readonly secrets: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The filter config document and the credential files it names. */
export interface FilterConfigResult {
  readonly config: FilterConfigInput;
  /** File name → content. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Credentials the caller exchanges and refreshes (standalone mode; empty otherwise). */
  readonly rotations: readonly CredentialRotation[];
  /** Problems found (file, object, field), empty when the config is usable. */
  readonly problems: readonly string[];
}

const defaultOwner = 'Envoy AI Gateway';

/** One filterapi backend entry. */
export type BackendEntry = NonNullable<FilterConfigInput['backends']>[number];

/**
 * One AIGatewayRoute's share of a filter config: the backends of its rules' refs, its exact models
 * and its costs. A Gateway's config is its routes' shares merged in route order
 * ({@link mergeFilterConfigs}), so a controller can rebuild it from the shares it kept, without
 * translating every route again when one changes.
 */
export interface RouteFilterConfig {
  readonly backends: readonly BackendEntry[];
  readonly models: readonly ModelEntry[];
  readonly llmRequestCosts: readonly LLMRequestCost[];
}

/** Each route's share of the filter config, and what building them found. */
export interface RouteFilterConfigsResult {
  /** Per route of the plan, in plan order. */
  readonly routes: ReadonlyMap<Loaded<AnyAIGatewayRoute>, RouteFilterConfig>;
  /** File name → content. */
  readonly credentials: Readonly<Record<string, string>>;
  /** Credentials the caller exchanges and refreshes (standalone mode; empty otherwise). */
  readonly rotations: readonly CredentialRotation[];
  /** Problems found (file, object, field), empty when the config is usable. */
  readonly problems: readonly string[];
}

/**
 * Each route's {@link RouteFilterConfig}: one backend per rule backendRef (named as upstream
 * names them), auth from the BackendSecurityPolicy (built once per policy), the route's exact
 * `x-ai-eg-model` matches and its `llmRequestCosts`.
 */
export function buildRouteFilterConfigs(
  plan: Plan,
  options: FilterConfigOptions,
): RouteFilterConfigsResult {
  const credentials: Record<string, string> = {};
  const rotations: CredentialRotation[] = [];
  const problems: string[] = [];
  const auth = new AuthBuilder({ plan, options, credentials, rotations, problems });
  const rulesByRoute = new Map<Loaded<AnyAIGatewayRoute>, PlannedRule[]>();
  for (const rule of plan.rules) {
    const rules = rulesByRoute.get(rule.route);
    if (rules) rules.push(rule);
    else rulesByRoute.set(rule.route, [rule]);
  }
  const routes = new Map<Loaded<AnyAIGatewayRoute>, RouteFilterConfig>();
  for (const route of plan.resources.aiGatewayRoutes) {
    const rules = rulesByRoute.get(route) ?? [];
    routes.set(route, {
      backends: rules.flatMap((rule) => rule.refs.map((ref) => backendEntry(ref, auth, problems))),
      models: models(rules),
      llmRequestCosts: routeCosts(route, problems),
    });
  }
  return { routes, credentials, rotations, problems };
}

/**
 * A filter config from routes' shares, in the order given: their backends, their models (the
 * first route listing a name wins, then {@link FilterConfigCommonOptions.extraModels}), their
 * costs then {@link FilterConfigCommonOptions.extraCosts}.
 */
export function mergeFilterConfigs(
  routes: Iterable<RouteFilterConfig>,
  extra: FilterConfigCommonOptions = {},
): FilterConfigInput {
  const backends: BackendEntry[] = [];
  const routeModels: ModelEntry[] = [];
  const costs: LLMRequestCost[] = [];
  for (const route of routes) {
    backends.push(...route.backends);
    routeModels.push(...route.models);
    costs.push(...route.llmRequestCosts);
  }
  return {
    version: filterConfigVersion,
    backends,
    models: uniqueModels([...routeModels, ...(extra.extraModels ?? [])]),
    llmRequestCosts: [...costs, ...(extra.extraCosts ?? [])],
    ...(extra.tokenReservation === undefined ? {} : { tokenReservation: extra.tokenReservation }),
  };
}

/**
 * Builds the @aigw/filterapi document: every route's share ({@link buildRouteFilterConfigs})
 * merged in plan order ({@link mergeFilterConfigs}).
 */
export function buildFilterConfig(plan: Plan, options: FilterConfigOptions): FilterConfigResult {
  const { routes, ...rest } = buildRouteFilterConfigs(plan, options);
  return { config: mergeFilterConfigs(routes.values(), options), ...rest };
}

/**
 * AIServiceBackend annotation choosing how `/v1/responses` reaches an OpenAI or Azure OpenAI
 * backend: `passthrough` (the default, as upstream) or `chat` (translated to chat completions, for
 * OpenAI-compatible servers without the Responses API). docs/translation-matrix.md.
 */
export const responsesApiAnnotation = 'aigateway.envoyproxy.io/responses-api';

/** The backend's `responses-api` choice when it is `chat`; reports a bad value. */
function responsesApi(ref: PlannedRef, problems: string[]): 'chat' | undefined {
  const backend = ref.serviceBackend;
  const value = backend.resource.metadata.annotations?.[responsesApiAnnotation];
  if (value === undefined) return undefined;
  const where = `${backend.file}: ${objectLabel('AIServiceBackend', backend)}: metadata.annotations[${responsesApiAnnotation}]`;
  if (!(responsesApiModes as readonly string[]).includes(value)) {
    problems.push(`${where}: expected "passthrough" or "chat", got ${JSON.stringify(value)}`);
    return undefined;
  }
  const canPassThrough = servesResponsesApi(backend.resource.spec?.schema.name ?? 'OpenAI');
  if (value === 'passthrough' && !canPassThrough) {
    problems.push(`${where}: only OpenAI and AzureOpenAI backends serve /v1/responses themselves`);
  }
  return value === 'chat' && canPassThrough ? 'chat' : undefined;
}

function backendEntry(ref: PlannedRef, auth: AuthBuilder, problems: string[]): BackendEntry {
  const spec = ref.serviceBackend.resource.spec;
  const schema = spec?.schema ?? { name: 'OpenAI' as const };
  const responses = responsesApi(ref, problems);
  const headerMutation = mergeMutation(spec?.headerMutation, ref.ref.headerMutation, {
    keyOf: (h) => h.name.toLowerCase(),
    normalise: (name) => name.toLowerCase(),
  });
  const bodyMutation = mergeMutation(spec?.bodyMutation, ref.ref.bodyMutation, {
    keyOf: (f) => f.path,
    normalise: (path) => path,
  });
  const backendAuth = auth.forRef(ref);
  return {
    name: ref.name,
    schema: {
      name: schema.name,
      ...(schema.version === undefined ? {} : { version: schema.version }),
      ...(schema.prefix === undefined ? {} : { prefix: schema.prefix }),
      ...(responses === undefined ? {} : { responsesApi: responses }),
    },
    ...(ref.ref.modelNameOverride ? { modelNameOverride: ref.ref.modelNameOverride } : {}),
    ...(backendAuth === undefined ? {} : { auth: backendAuth }),
    ...(headerMutation === undefined ? {} : { headerMutation }),
    ...(bodyMutation === undefined ? {} : { bodyMutation }),
  };
}

interface Mutation<T> {
  readonly set?: readonly T[];
  readonly remove?: readonly string[];
}

/**
 * The AIServiceBackend's mutation merged with the route's backendRef one, the backendRef winning
 * on the same header (case-insensitive) or field: its `set` replaces the backend's set or remove
 * of that name, its `remove` drops the backend's set of it.
 */
function mergeMutation<T>(
  base: Mutation<T> | undefined,
  override: Mutation<T> | undefined,
  key: { keyOf: (entry: T) => string; normalise: (name: string) => string },
): { set?: T[]; remove?: string[] } | undefined {
  if (!base && !override) return undefined;
  const decided = new Map<string, T | null>();
  for (const mutation of [base ?? {}, override ?? {}]) {
    for (const name of mutation.remove ?? []) decided.set(key.normalise(name), null);
    for (const entry of mutation.set ?? []) decided.set(key.keyOf(entry), entry);
  }
  const set = [...decided.values()].filter((entry): entry is T => entry !== null);
  const remove = [...decided].filter(([, entry]) => entry === null).map(([name]) => name);
  return {
    ...(set.length > 0 ? { set } : {}),
    ...(remove.length > 0 ? { remove } : {}),
  };
}

/** One `/v1/models` entry of the filter config. */
export type ModelEntry = NonNullable<FilterConfigInput['models']>[number];

function models(rules: readonly PlannedRule[]): ModelEntry[] {
  const out: ModelEntry[] = [];
  for (const rule of rules) {
    const createdAt = rule.rule.modelsCreatedAt ?? rule.route.resource.metadata.creationTimestamp;
    for (const name of exactModels(rule)) {
      out.push({
        name,
        ownedBy: rule.rule.modelsOwnedBy ?? defaultOwner,
        ...(createdAt === undefined ? {} : { createdAt }),
      });
    }
  }
  return uniqueModels(out);
}

/** The first entry of each model name, in order. */
function uniqueModels(entries: readonly ModelEntry[]): ModelEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    if (seen.has(entry.name)) return false;
    seen.add(entry.name);
    return true;
  });
}

/**
 * A route's costs, scoped to its AIGatewayRoute (`routeName: namespace/name`, what the
 * route metadata `aigw_route_name` names), as upstream's controller writes them: two routes may
 * charge different costs under one key. A key listed twice in one route is refused.
 */
function routeCosts(route: Loaded<AnyAIGatewayRoute>, problems: string[]): LLMRequestCost[] {
  const costs: LLMRequestCost[] = [];
  const seen = new Set<string>();
  route.resource.spec?.llmRequestCosts?.forEach((c, i) => {
    if (seen.has(c.metadataKey)) {
      problems.push(
        `${route.file}: ${objectLabel('AIGatewayRoute', route)}: spec.llmRequestCosts[${String(i)}].metadataKey: "${c.metadataKey}" is listed twice`,
      );
      return;
    }
    seen.add(c.metadataKey);
    costs.push({
      metadataKey: c.metadataKey,
      type: c.type,
      ...(c.cel === undefined ? {} : { cel: c.cel }),
      routeName: `${route.namespace}/${route.name}`,
    });
  });
  return costs;
}

/** Builds each policy's auth once and collects its credential files. */
class AuthBuilder {
  readonly #byPolicy = new Map<Loaded<AnyBackendSecurityPolicy>, BackendAuth | undefined>();
  readonly #secrets: ReadonlyMap<string, Loaded<Secret>>;
  readonly #context: {
    readonly options: FilterConfigOptions;
    readonly credentials: Record<string, string>;
    readonly rotations: CredentialRotation[];
    readonly problems: string[];
  };

  constructor(context: {
    plan: Plan;
    options: FilterConfigOptions;
    credentials: Record<string, string>;
    rotations: CredentialRotation[];
    problems: string[];
  }) {
    this.#secrets = byName(context.plan.resources.secrets);
    this.#context = context;
  }

  forRef(ref: PlannedRef): BackendAuth | undefined {
    const policy = ref.policy;
    if (!policy) return undefined;
    if (!this.#byPolicy.has(policy)) this.#byPolicy.set(policy, this.#build(policy));
    const auth = this.#byPolicy.get(policy);
    // A copy per backend, so a YAML writer never turns the shared object into an alias.
    return auth === undefined ? undefined : structuredClone(auth);
  }

  #build(policy: Loaded<AnyBackendSecurityPolicy>): BackendAuth | undefined {
    const spec = policy.resource.spec as BackendSecurityPolicySpec | undefined;
    if (!spec) return undefined;
    const where = `${policy.file}: ${objectLabel('BackendSecurityPolicy', policy)}`;
    if (spec.credentialOverride) {
      this.problem(`${where}: spec.credentialOverride: not supported by aigw yet`);
      return undefined;
    }
    const options = this.#context.options;
    return options.mode === 'kubernetes'
      ? this.#inline(policy, { spec, where })
      : this.#files(
          new CredentialReader({
            policy,
            where,
            builder: this,
            credentialPath: options.credentialPath,
          }),
          spec,
        );
  }

  /** `standalone` mode: credential files, or exchanges the caller runs. */
  #files(credential: CredentialReader, spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    switch (spec.type) {
      case 'APIKey':
        return credential.keyFile('apiKey', spec.apiKey?.secretRef);
      case 'AzureAPIKey':
        return credential.keyFile('azureApiKey', spec.azureAPIKey?.secretRef);
      case 'AnthropicAPIKey':
        return credential.keyFile('anthropicApiKey', spec.anthropicAPIKey?.secretRef);
      case 'AWSCredentials':
        return credential.aws(spec);
      case 'AzureCredentials':
        return credential.azure(spec);
      case 'GCPCredentials':
        return credential.gcp(spec);
    }
  }

  /** `kubernetes` mode: the credential inlined (see {@link inlineAuth}). */
  #inline(
    policy: Loaded<AnyBackendSecurityPolicy>,
    how: { spec: BackendSecurityPolicySpec; where: string },
  ): BackendAuth | undefined {
    return inlineAuth(how.spec, {
      policy,
      where: how.where,
      secret: (key) => this.secret(key),
      problem: (message) => {
        this.problem(message);
      },
      defaultProfile,
    });
  }

  /** Records a problem (also for {@link CredentialReader}). */
  problem(message: string): void {
    this.#context.problems.push(message);
  }

  /** For {@link CredentialReader}: the Secret `ns/name`, if loaded. */
  secret(key: string): Loaded<Secret> | undefined {
    return this.#secrets.get(key);
  }

  /** For {@link CredentialReader}: records a credential file's content. */
  file(name: string, content: string): void {
    this.#context.credentials[name] = content;
  }

  /** For {@link CredentialReader}: records a credential the caller exchanges. */
  rotate(rotation: CredentialRotation): void {
    this.#context.rotations.push(rotation);
  }
}

interface SecretRef {
  readonly name: string;
  readonly namespace?: string;
}

/** The OIDC client secret an exchange reads (`field` names the `oidcExchangeToken`). */
function oidcSecret(
  field: string,
  exchange: { readonly oidc: { readonly clientSecret: SecretRef } },
): { field: string; ref: SecretRef; key: string } {
  return {
    field: `${field}.oidc.clientSecret`,
    ref: exchange.oidc.clientSecret,
    key: secretKeys.oidcClientSecret[0],
  };
}

/**
 * Reads one policy's Secret values into credential files, or records their exchange (standalone
 * mode; `kubernetes` inlines credentials, see {@link inlineAuth}).
 */
class CredentialReader {
  readonly #policy: Loaded<AnyBackendSecurityPolicy>;
  readonly #where: string;
  readonly #builder: AuthBuilder;
  readonly #credentialPath: (fileName: string) => string;

  constructor(context: {
    policy: Loaded<AnyBackendSecurityPolicy>;
    where: string;
    builder: AuthBuilder;
    credentialPath: (fileName: string) => string;
  }) {
    this.#policy = context.policy;
    this.#where = context.where;
    this.#builder = context.builder;
    this.#credentialPath = context.credentialPath;
  }

  keyFile(
    kind: 'apiKey' | 'azureApiKey' | 'anthropicApiKey',
    ref: SecretRef | undefined,
  ): BackendAuth | undefined {
    const file = this.#file(ref, ['apiKey'], { field: kind });
    if (file === undefined) return undefined;
    switch (kind) {
      case 'apiKey':
        return { apiKey: { file } };
      case 'azureApiKey':
        return { azureApiKey: { file } };
      case 'anthropicApiKey':
        return { anthropicApiKey: { file } };
    }
  }

  aws(spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    const aws = spec.awsCredentials;
    const exchange = aws?.oidcExchangeToken;
    if (aws && exchange) {
      // OIDC wins over a credentialsFile given too, as @aigw/cloud-credentials' rotationKind.
      const file = this.#rotated(spec, 'aws-oidc', {
        fileName: this.#fileName('credentials'),
        refs: [oidcSecret('spec.awsCredentials.oidcExchangeToken', exchange)],
      });
      return file === undefined
        ? undefined
        : { aws: { credentialsFile: file, region: aws.region } };
    }
    if (!aws?.credentialsFile) {
      this.#builder.problem(
        `${this.#where}: spec.awsCredentials.credentialsFile: required by aigw (it does not use the AWS SDK default chain)`,
      );
      return undefined;
    }
    const profile = aws.credentialsFile.profile ?? 'default';
    const file = this.#file(aws.credentialsFile.secretRef, ['credentials'], {
      field: 'awsCredentials.credentialsFile',
      transform: (ini) => defaultProfile(ini, profile),
    });
    return file === undefined ? undefined : { aws: { credentialsFile: file, region: aws.region } };
  }

  azure(spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    const azure = spec.azureCredentials;
    const field = 'spec.azureCredentials';
    let file: string | undefined;
    if (azure?.oidcExchangeToken) {
      file = this.#rotated(spec, 'azure-oidc', {
        fileName: this.#fileName('token'),
        refs: [oidcSecret(`${field}.oidcExchangeToken`, azure.oidcExchangeToken)],
      });
    } else if (azure?.clientSecretRef) {
      file = this.#tokenFile(spec, {
        kind: 'azure-client-secret',
        field: 'azureCredentials.clientSecretRef',
        refField: 'spec.azureCredentials.clientSecretRef',
        ref: azure.clientSecretRef,
        exchangeKey: secretKeys.azureCredentials[0],
      });
    } else {
      this.#builder.problem(
        `${this.#where}: ${field}: one of clientSecretRef or oidcExchangeToken is required`,
      );
    }
    return file === undefined ? undefined : { azure: { tokenFile: file } };
  }

  gcp(spec: BackendSecurityPolicySpec): BackendAuth | undefined {
    const gcp = spec.gcpCredentials;
    const field = 'spec.gcpCredentials';
    const wif = gcp?.workloadIdentityFederationConfig;
    if (!gcp || (!gcp.credentialsFile && !wif)) {
      this.#builder.problem(
        `${this.#where}: ${field}: credentialsFile or workloadIdentityFederationConfig is required by aigw (Application Default Credentials are not supported yet)`,
      );
      return undefined;
    }
    if (gcp.projectName === undefined || gcp.region === undefined) {
      this.#builder.problem(
        `${this.#where}: ${field}: projectName and region are required by aigw`,
      );
      return undefined;
    }
    const file = wif
      ? this.#rotated(spec, 'gcp-workload-identity', {
          fileName: this.#fileName('token'),
          refs: [
            oidcSecret(
              `${field}.workloadIdentityFederationConfig.oidcExchangeToken`,
              wif.oidcExchangeToken,
            ),
          ],
        })
      : gcp.credentialsFile &&
        this.#tokenFile(spec, {
          kind: 'gcp-service-account-key',
          field: 'gcpCredentials.credentialsFile',
          refField: 'spec.gcpCredentials.credentialsFile.secretRef',
          ref: gcp.credentialsFile.secretRef,
          exchangeKey: secretKeys.gcpCredentials[0],
        });
    return file === undefined
      ? undefined
      : { gcp: { tokenFile: file, region: gcp.region, projectName: gcp.projectName } };
  }

  /** `<namespace>.<name>.<suffix>`: a policy's credential file name. */
  #fileName(suffix: string): string {
    return `${this.#policy.namespace}.${this.#policy.name}.${suffix}`;
  }

  /** The value of `key` in Secret `ref` (namespace defaulting to the policy's), if present. */
  #value(ref: SecretRef, key: string): string | undefined {
    const secret = this.#builder.secret(`${ref.namespace ?? this.#policy.namespace}/${ref.name}`);
    return secret === undefined ? undefined : secretValue(secret.resource, key);
  }

  /**
   * The token file of a Secret that holds either what an exchange reads (`exchangeKey`:
   * `client-secret`, `service_account.json`, upstream's keys) or a ready access token (`token`,
   * aigw's). The exchange wins when both are there, as upstream reads only its own key.
   */
  #tokenFile(
    spec: BackendSecurityPolicySpec,
    how: {
      kind: CredentialRotationKind;
      /** The policy field in problems (without `spec.`), as for static credentials. */
      field: string;
      /** The field of the Secret reference (as @aigw/cloud-credentials names it). */
      refField: string;
      ref: SecretRef;
      exchangeKey: string;
    },
  ): string | undefined {
    if (this.#value(how.ref, how.exchangeKey) !== undefined) {
      return this.#rotated(spec, how.kind, {
        fileName: this.#fileName('token'),
        refs: [{ field: how.refField, ref: how.ref, key: how.exchangeKey }],
      });
    }
    return this.#file(how.ref, ['token'], {
      field: how.field,
      wanted: [how.exchangeKey, 'token'],
    });
  }

  /** Records a credential the caller exchanges; returns its file path. */
  #rotated(
    spec: BackendSecurityPolicySpec,
    kind: CredentialRotationKind,
    how: { fileName: string; refs: readonly { field: string; ref: SecretRef; key: string }[] },
  ): string | undefined {
    const secretRefs = how.refs.map(({ field, ref, key }) => ({
      field,
      namespace: ref.namespace ?? this.#policy.namespace,
      name: ref.name,
      key,
    }));
    const secrets: Record<string, Record<string, string>> = {};
    for (const ref of secretRefs) {
      const id = `${ref.namespace}/${ref.name}`;
      const value = this.#value(ref, ref.key);
      if (value === undefined) {
        this.#builder.problem(
          `${this.#where}: ${ref.field}: Secret ${id} has no key "${ref.key}" (aigw exchanges it for a credential)`,
        );
        return undefined;
      }
      secrets[id] = { ...secrets[id], [ref.key]: value };
    }
    const { namespace, name, file } = this.#policy;
    const path = this.#credentialPath(how.fileName);
    this.#builder.rotate({
      policy: { namespace, name, file, spec },
      kind,
      path,
      secretRefs,
      secrets,
    });
    return path;
  }

  /**
   * The credential file of `ref`'s first present key; records a problem when it is missing
   * (naming `wanted`, default `keys`, as the keys that would do).
   */
  #file(
    ref: SecretRef | undefined,
    keys: readonly string[],
    how: {
      field: string;
      transform?: (value: string) => string;
      wanted?: readonly string[];
    },
  ): string | undefined {
    if (!ref) return undefined;
    const secretKey = `${ref.namespace ?? this.#policy.namespace}/${ref.name}`;
    const secret = this.#builder.secret(secretKey);
    const key = keys.find((k) => secret && secretValue(secret.resource, k) !== undefined);
    const fileName = `${this.#policy.namespace}.${this.#policy.name}.${keys[0] ?? 'key'}`;
    if (!secret || key === undefined) {
      const wanted = (how.wanted ?? keys).map((k) => `"${k}"`).join(' or ');
      this.#builder.problem(
        `${this.#where}: spec.${how.field}: Secret ${secretKey} has no key ${wanted} (aigw reads the credential from it)`,
      );
      return undefined;
    }
    const value = secretValue(secret.resource, key) ?? '';
    this.#builder.file(fileName, how.transform ? how.transform(value) : value);
    return this.#credentialPath(fileName);
  }
}

/**
 * An AWS shared-credentials file whose `profile` section is the `[default]` one, since the
 * extproc reads the default profile. Other sections are dropped.
 */
export function defaultProfile(ini: string, profile: string): string {
  if (profile === 'default') return ini;
  const out: string[] = [];
  let inSection = false;
  for (const line of ini.split(/\r?\n/)) {
    const header = /^\s*\[\s*(?:profile\s+)?([^\]]+?)\s*\]\s*$/.exec(line);
    if (header) {
      inSection = header[1] === profile;
      if (inSection) out.push('[default]');
      continue;
    }
    if (inSection) out.push(line);
  }
  return `${out.join('\n').trimEnd()}\n`;
}
