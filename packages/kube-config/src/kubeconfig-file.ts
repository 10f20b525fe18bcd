import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { parse, YAMLError } from 'yaml';
import { KubeConfigError } from './errors.js';
import { execApiVersions, type ExecApiVersion, type ExecConfig } from './exec-credential.js';
import {
  KubeConfig,
  type ClientCertificate,
  type KubeAuth,
  type KubeConfigRuntimeOptions,
  type KubeConfigSpec,
} from './kube-config.js';

/** Options of {@link loadKubeConfigFile}. */
export interface LoadKubeConfigFileOptions extends KubeConfigRuntimeOptions {
  /** A context other than `current-context`. */
  readonly context?: string | undefined;
}

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads typed fields of one kubeconfig file; every error names the file and the field. */
class Reader {
  readonly dir: string;

  constructor(readonly file: string) {
    this.dir = dirname(file);
  }

  invalid(field: string, what: string): KubeConfigError {
    return new KubeConfigError('invalid', `kubeconfig ${this.file}: ${field} ${what}`, {
      file: this.file,
      field,
    });
  }

  unsupported(field: string, what: string): KubeConfigError {
    return new KubeConfigError('unsupported', `kubeconfig ${this.file}: ${field} ${what}`, {
      file: this.file,
      field,
    });
  }

  /** A string field; empty counts as unset (as in client-go). */
  string(fields: Fields, key: string, at: string): string | undefined {
    const value = fields[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw this.invalid(`${at}.${key}`, 'must be a string');
    return value;
  }

  boolean(fields: Fields, key: string, at: string): boolean {
    const value = fields[key];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') throw this.invalid(`${at}.${key}`, 'must be true or false');
    return value;
  }

  /** A path field, resolved against the kubeconfig's directory. */
  path(fields: Fields, key: string, at: string): string | undefined {
    const value = this.string(fields, key, at);
    return value === undefined ? undefined : resolve(this.dir, value);
  }

  /** `<key>-data` (base64) if set, else the file `<key>` names; data wins, as in client-go. */
  material(fields: Fields, key: string, at: string): string | undefined {
    const data = this.string(fields, `${key}-data`, at);
    if (data !== undefined) {
      const decoded = Buffer.from(data, 'base64').toString('utf8');
      if (decoded.trim() === '') throw this.invalid(`${at}.${key}-data`, 'is not base64 PEM');
      return decoded;
    }
    const path = this.path(fields, key, at);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new KubeConfigError(
        'unreadable',
        `kubeconfig ${this.file}: ${at}.${key}: cannot read ${path}`,
        { file: path, field: `${at}.${key}`, cause: err },
      );
    }
  }

  /** The inner object of the entry `name` of `list` (`contexts[].context` …). */
  entry(doc: Fields, list: 'clusters' | 'users' | 'contexts', name: string): Entry {
    const items = doc[list] ?? [];
    if (!Array.isArray(items)) throw this.invalid(list, 'must be a list');
    const found: unknown = items.find((item) => isFields(item) && item['name'] === name);
    const singular = list.slice(0, -1);
    if (!isFields(found)) throw this.invalid(list, `has no entry named "${name}"`);
    const at = `${list}["${name}"].${singular}`;
    const inner = found[singular];
    if (inner === undefined || inner === null) return { fields: {}, at };
    if (!isFields(inner)) throw this.invalid(at, 'must be a mapping');
    return { fields: inner, at };
  }
}

interface Entry {
  readonly fields: Fields;
  /** `users["admin"].user` */
  readonly at: string;
}

/**
 * Loads one kubeconfig file: the current context (or `options.context`), its cluster (`server`,
 * `certificate-authority(-data)`, `insecure-skip-tls-verify`, `tls-server-name`) and user
 * (`token`, `tokenFile`, `client-certificate(-data)` + `client-key(-data)`, `username` /
 * `password`, or `exec`), and the context's namespace. Relative paths resolve against the file's
 * directory. Files named for the CA and client certificate are read now; a token file and an exec
 * plugin on use.
 *
 * @throws KubeConfigError `unreadable`, `invalid` or `unsupported`, naming the file and the field.
 */
export function loadKubeConfigFile(
  path: string,
  options: LoadKubeConfigFileOptions = {},
): KubeConfig {
  const file = resolve(path);
  const reader = new Reader(file);
  const doc = parseFile(file);
  const contextName = options.context ?? reader.string(doc, 'current-context', 'kubeconfig');
  if (contextName === undefined) throw reader.invalid('current-context', 'is not set');
  const context = reader.entry(doc, 'contexts', contextName);
  const clusterName = reader.string(context.fields, 'cluster', context.at);
  if (clusterName === undefined) throw reader.invalid(`${context.at}.cluster`, 'is not set');
  const cluster = clusterSpec(reader, reader.entry(doc, 'clusters', clusterName));
  const userName = reader.string(context.fields, 'user', context.at);
  const user = userName === undefined ? {} : userSpec(reader, reader.entry(doc, 'users', userName));
  const spec: KubeConfigSpec = {
    ...cluster,
    ...user,
    namespace: reader.string(context.fields, 'namespace', context.at),
    source: `kubeconfig ${file}`,
  };
  return new KubeConfig(spec, options);
}

function parseFile(file: string): Fields {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeConfigError('unreadable', `cannot read kubeconfig ${file}`, { file, cause: err });
  }
  let doc: unknown;
  try {
    // logLevel 'error': throw on errors, print no warnings.
    doc = parse(text, { logLevel: 'error' });
  } catch (err) {
    // No cause and no err.message: yaml's message quotes the offending line, maybe a token.
    const where =
      err instanceof YAMLError && err.linePos
        ? ` at line ${String(err.linePos[0].line)}, column ${String(err.linePos[0].col)}`
        : '';
    const code = err instanceof YAMLError ? ` (${err.code})` : '';
    throw new KubeConfigError('invalid', `kubeconfig ${file}: not valid YAML${code}${where}`, {
      file,
    });
  }
  if (doc === null || doc === undefined) return {};
  if (!isFields(doc))
    throw new KubeConfigError('invalid', `kubeconfig ${file}: not a mapping`, { file });
  return doc;
}

function clusterSpec(reader: Reader, cluster: Entry): KubeConfigSpec {
  const { fields, at } = cluster;
  const server = reader.string(fields, 'server', at);
  if (server === undefined) throw reader.invalid(`${at}.server`, 'is not set');
  try {
    const url = new URL(server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw reader.invalid(`${at}.server`, `"${server}" is not an http(s) URL`);
  }
  if (reader.string(fields, 'proxy-url', at) !== undefined) {
    throw reader.unsupported(`${at}.proxy-url`, 'is not supported');
  }
  const ca = reader.material(fields, 'certificate-authority', at);
  const insecureSkipTlsVerify = reader.boolean(fields, 'insecure-skip-tls-verify', at);
  if (insecureSkipTlsVerify && ca !== undefined) {
    throw reader.invalid(
      `${at}.insecure-skip-tls-verify`,
      'cannot be combined with certificate-authority(-data)',
    );
  }
  return {
    server,
    ca,
    insecureSkipTlsVerify,
    tlsServerName: reader.string(fields, 'tls-server-name', at),
  };
}

const unsupportedUserFields: Readonly<Record<string, string>> = {
  'auth-provider': 'is not supported; use an exec credential plugin (e.g. kubelogin)',
  as: '(impersonation) is not supported',
  'as-uid': '(impersonation) is not supported',
  'as-groups': '(impersonation) is not supported',
  'as-user-extra': '(impersonation) is not supported',
};

function userSpec(
  reader: Reader,
  user: Entry,
): Pick<KubeConfigSpec, 'clientCertificate' | 'auth' | 'authField'> {
  const { fields, at } = user;
  for (const [key, what] of Object.entries(unsupportedUserFields)) {
    const value = fields[key];
    if (value !== undefined && value !== null && value !== '')
      throw reader.unsupported(`${at}.${key}`, what);
  }
  const methods = [
    ...(fields['token'] || fields['tokenFile'] ? ['token'] : []),
    ...(fields['username'] || fields['password'] ? ['username/password'] : []),
    ...(fields['exec'] ? ['exec'] : []),
  ];
  if (methods.length > 1) {
    throw reader.invalid(at, `has more than one authentication method (${methods.join(', ')})`);
  }
  return {
    clientCertificate: clientCertificate(reader, user),
    auth: headerAuth(reader, user),
    authField: at,
  };
}

function clientCertificate(reader: Reader, user: Entry): ClientCertificate | undefined {
  const cert = reader.material(user.fields, 'client-certificate', user.at);
  const key = reader.material(user.fields, 'client-key', user.at);
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined)
    throw reader.invalid(`${user.at}.client-certificate`, 'is not set (client-key is)');
  if (key === undefined)
    throw reader.invalid(`${user.at}.client-key`, 'is not set (client-certificate is)');
  return { cert, key };
}

function headerAuth(reader: Reader, user: Entry): KubeAuth | undefined {
  const { fields, at } = user;
  const token = reader.string(fields, 'token', at);
  if (token !== undefined) return { kind: 'token', token };
  const tokenFile = reader.path(fields, 'tokenFile', at);
  if (tokenFile !== undefined) return { kind: 'token-file', path: tokenFile };
  const username = reader.string(fields, 'username', at);
  const password = reader.string(fields, 'password', at);
  if (username !== undefined) return { kind: 'basic', username, password: password ?? '' };
  if (password !== undefined) throw reader.invalid(`${at}.username`, 'is not set (password is)');
  const exec = fields['exec'];
  if (exec === undefined || exec === null) return undefined;
  if (!isFields(exec)) throw reader.invalid(`${at}.exec`, 'must be a mapping');
  return { kind: 'exec', exec: execConfig(reader, { fields: exec, at: `${at}.exec` }) };
}

function execConfig(reader: Reader, entry: Entry): ExecConfig {
  const { fields, at } = entry;
  const apiVersion = reader.string(fields, 'apiVersion', at);
  if (!execApiVersions.includes(apiVersion as ExecApiVersion)) {
    throw reader.unsupported(
      `${at}.apiVersion`,
      `must be one of ${execApiVersions.join(', ')} (got ${apiVersion ?? 'none'})`,
    );
  }
  const command = reader.string(fields, 'command', at);
  if (command === undefined) throw reader.invalid(`${at}.command`, 'is not set');
  if (reader.string(fields, 'interactiveMode', at) === 'Always') {
    throw reader.unsupported(
      `${at}.interactiveMode`,
      'Always needs a terminal; this client has none',
    );
  }
  const installHint = reader.string(fields, 'installHint', at);
  return {
    apiVersion: apiVersion as ExecApiVersion,
    // As client-go: a relative command with a slash is relative to the kubeconfig; a bare name is
    // looked up on PATH.
    command: command.includes(sep) && !isAbsolute(command) ? resolve(reader.dir, command) : command,
    args: stringList(reader, fields['args'], `${at}.args`),
    env: execEnv(reader, fields['env'], `${at}.env`),
    provideClusterInfo: reader.boolean(fields, 'provideClusterInfo', at),
    ...(installHint === undefined ? {} : { installHint }),
  };
}

function stringList(reader: Reader, value: unknown, at: string): readonly string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw reader.invalid(at, 'must be a list of strings');
  }
  return value as string[];
}

function execEnv(reader: Reader, value: unknown, at: string): Readonly<Record<string, string>> {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) throw reader.invalid(at, 'must be a list of {name, value}');
  const env: Record<string, string> = {};
  for (const [i, item] of value.entries()) {
    if (!isFields(item) || typeof item['name'] !== 'string' || typeof item['value'] !== 'string') {
      throw reader.invalid(`${at}[${String(i)}]`, 'must have a string name and value');
    }
    env[item['name']] = item['value'];
  }
  return env;
}
