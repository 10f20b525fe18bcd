import { readFile } from 'node:fs/promises';
import { inspect } from 'node:util';
import { KubeConfigError } from './errors.js';
import {
  runExecPlugin,
  type ExecClusterInfo,
  type ExecConfig,
  type ExecCredential,
} from './exec-credential.js';
import { processEnv, type Env } from './process-env.js';

/** How requests authenticate, besides a client certificate: what goes into `Authorization`. */
export type KubeAuth =
  | { readonly kind: 'token'; readonly token: string }
  /** A bearer token read from a file; re-read at most every `tokenFileTtlMs` (bound tokens rotate). */
  | { readonly kind: 'token-file'; readonly path: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** A credential plugin; its token or certificate is cached until its expiry. */
  | { readonly kind: 'exec'; readonly exec: ExecConfig };

/** A client certificate and its private key (PEM). */
export interface ClientCertificate {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Everything needed to reach and authenticate to one API server. */
export interface KubeConfigSpec {
  /** `https://host:port` (or `http://` for a plain-text test server). */
  readonly server: string;
  /** PEM of the CA(s) to trust for the server; default Node's bundled CAs. */
  readonly ca?: string | Buffer | undefined;
  readonly insecureSkipTlsVerify?: boolean | undefined;
  /** The name to verify the server's certificate against (kubeconfig `tls-server-name`). */
  readonly tlsServerName?: string | undefined;
  /** The context's (or the pod's) namespace. */
  readonly namespace?: string | undefined;
  readonly clientCertificate?: ClientCertificate | undefined;
  readonly auth?: KubeAuth | undefined;
  /** Where the configuration came from, for messages: a kubeconfig path or `in-cluster`. */
  readonly source?: string | undefined;
  /** Where `auth` is, for messages (`kubeconfig /x, users["admin"].user`). */
  readonly authField?: string | undefined;
}

/** How credentials are refreshed; tests inject the clock. */
export interface KubeConfigRuntimeOptions {
  /** The environment exec plugins inherit (default `process.env`). */
  readonly env?: Env | undefined;
  /** Epoch milliseconds now (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /** How long a token read from a file is used before it is read again (default 60 s, as client-go). */
  readonly tokenFileTtlMs?: number | undefined;
  /** How long an exec plugin may run (default 60 s). */
  readonly execTimeoutMs?: number | undefined;
}

/**
 * What one request needs: the `Authorization` header (when any) and the TLS options, shaped as
 * `https.request` options (`ca`, `cert`, `key`, `rejectUnauthorized`, `servername`). Pass them per
 * request next to a shared keep-alive agent: Node pools sockets by these options, so a rotated
 * client certificate gets new connections by itself.
 */
export interface ApiServerRequestOptions {
  readonly headers: Readonly<Record<string, string>>;
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  readonly rejectUnauthorized: boolean;
  readonly servername?: string;
}

/** How a configuration authenticates, for logs and diagnostics. */
export type KubeAuthKind = 'none' | 'client-certificate' | KubeAuth['kind'];

const defaultTokenFileTtlMs = 60_000;
const defaultExecTimeoutMs = 60_000;

/**
 * A loaded client configuration: the API server, its TLS trust, the namespace, and credentials
 * that stay current — a token file is read again every minute (in-cluster tokens are rotated by
 * the kubelet), an exec plugin runs again when its credential expires. Serialises (`toJSON`,
 * `util.inspect`) without any secret.
 */
export class KubeConfig {
  /** The API server URL, as configured. */
  readonly server: string;
  readonly namespace: string | undefined;
  readonly insecureSkipTlsVerify: boolean;
  /** A kubeconfig path, or `in-cluster`. */
  readonly source: string;
  readonly #spec: KubeConfigSpec;
  readonly #runtime: KubeConfigRuntimeOptions;
  readonly #now: () => number;
  #token: Cached<string> | undefined;
  #exec: Cached<ExecCredential> | undefined;

  constructor(spec: KubeConfigSpec, runtime: KubeConfigRuntimeOptions = {}) {
    this.source = spec.source ?? 'kube config';
    let url: URL;
    try {
      url = new URL(spec.server);
    } catch {
      throw new KubeConfigError('invalid', `${this.source}: server "${spec.server}" is not a URL`, {
        field: 'server',
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new KubeConfigError(
        'invalid',
        `${this.source}: server "${spec.server}" is not http(s)`,
        {
          field: 'server',
        },
      );
    }
    this.server = spec.server;
    this.namespace = spec.namespace?.trim() || undefined;
    this.insecureSkipTlsVerify = spec.insecureSkipTlsVerify === true;
    this.#spec = spec;
    this.#runtime = runtime;
    this.#now = runtime.now ?? Date.now;
  }

  /** How requests authenticate (an exec plugin may also return a certificate). */
  get authKind(): KubeAuthKind {
    return this.#spec.auth?.kind ?? (this.#spec.clientCertificate ? 'client-certificate' : 'none');
  }

  /** The same credentials and trust against another URL (a proxy in front of the API server). */
  withServer(server: string): KubeConfig {
    return new KubeConfig({ ...this.#spec, server }, this.#runtime);
  }

  /**
   * The headers and TLS options of a request now: reads a token file or runs an exec plugin when
   * its cached value is stale.
   *
   * @throws KubeConfigError `unreadable` (token file), `exec-failed` (plugin).
   */
  async requestOptions(): Promise<ApiServerRequestOptions> {
    const spec = this.#spec;
    const headers: Record<string, string> = {};
    let certificate = spec.clientCertificate;
    const auth = spec.auth;
    if (auth !== undefined) {
      switch (auth.kind) {
        case 'token':
          headers['authorization'] = `Bearer ${auth.token}`;
          break;
        case 'token-file':
          headers['authorization'] = `Bearer ${await this.#tokenFrom(auth.path)}`;
          break;
        case 'basic':
          headers['authorization'] =
            `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
          break;
        case 'exec': {
          const credential = await this.#execCredential(auth.exec);
          if (credential.token !== undefined)
            headers['authorization'] = `Bearer ${credential.token}`;
          if (credential.cert !== undefined && credential.key !== undefined) {
            certificate = { cert: credential.cert, key: credential.key };
          }
          break;
        }
      }
    }
    return {
      headers,
      rejectUnauthorized: !this.insecureSkipTlsVerify,
      ...(spec.ca === undefined ? {} : { ca: spec.ca }),
      ...(certificate === undefined ? {} : { cert: certificate.cert, key: certificate.key }),
      ...(spec.tlsServerName === undefined ? {} : { servername: spec.tlsServerName }),
    };
  }

  /** A summary without secrets. */
  toJSON(): Record<string, unknown> {
    return {
      server: this.server,
      namespace: this.namespace,
      source: this.source,
      auth: this.authKind,
      insecureSkipTlsVerify: this.insecureSkipTlsVerify,
    };
  }

  [inspect.custom](): string {
    return `KubeConfig ${JSON.stringify(this.toJSON())}`;
  }

  async #tokenFrom(path: string): Promise<string> {
    this.#token ??= new Cached(async (previous) => {
      try {
        const token = (await readFile(path, 'utf8')).trim();
        if (token === '') throw new Error('the file is empty');
        return {
          value: token,
          expiresAt: this.#now() + (this.#runtime.tokenFileTtlMs ?? defaultTokenFileTtlMs),
        };
      } catch (err) {
        // As client-go: a failed re-read keeps the last token (the kubelet swaps files atomically,
        // so this is a transient race or an unmounted volume during shutdown).
        if (previous !== undefined) return { value: previous, expiresAt: this.#now() };
        const field = this.#spec.authField ? ` (${this.#spec.authField})` : '';
        throw new KubeConfigError(
          'unreadable',
          `${this.source}: cannot read token file ${path}${field}`,
          {
            file: path,
            ...(this.#spec.authField === undefined ? {} : { field: this.#spec.authField }),
            cause: err,
          },
        );
      }
    }, this.#now);
    return this.#token.get();
  }

  async #execCredential(exec: ExecConfig): Promise<ExecCredential> {
    this.#exec ??= new Cached(async () => {
      const credential = await runExecPlugin(exec, {
        env: this.#runtime.env ?? processEnv(),
        timeoutMs: this.#runtime.execTimeoutMs ?? defaultExecTimeoutMs,
        cluster: this.#clusterInfo(),
        where: `${this.source}${this.#spec.authField ? `, ${this.#spec.authField}.exec` : ''}`,
      });
      return { value: credential, expiresAt: credential.expiresAt ?? Number.POSITIVE_INFINITY };
    }, this.#now);
    return this.#exec.get();
  }

  #clusterInfo(): ExecClusterInfo {
    const spec = this.#spec;
    return {
      server: spec.server,
      ...(spec.tlsServerName === undefined ? {} : { 'tls-server-name': spec.tlsServerName }),
      ...(spec.insecureSkipTlsVerify === true ? { 'insecure-skip-tls-verify': true } : {}),
      ...(spec.ca === undefined
        ? {}
        : { 'certificate-authority-data': Buffer.from(spec.ca).toString('base64') }),
    };
  }
}

/**
 * A value that is fetched again once it expires; concurrent callers share one fetch, and a
 * failed fetch is not cached.
 */
class Cached<T> {
  #value: T | undefined;
  #expiresAt = Number.NEGATIVE_INFINITY;
  #fetching: Promise<T> | undefined;

  constructor(
    private readonly fetch: (previous: T | undefined) => Promise<{ value: T; expiresAt: number }>,
    private readonly now: () => number,
  ) {}

  async get(): Promise<T> {
    if (this.#value !== undefined && this.now() < this.#expiresAt) return this.#value;
    this.#fetching ??= this.fetch(this.#value)
      .then(({ value, expiresAt }) => {
        this.#value = value;
        this.#expiresAt = expiresAt;
        return value;
      })
      .finally(() => {
        this.#fetching = undefined;
      });
    return this.#fetching;
  }
}
