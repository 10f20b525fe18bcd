import { spawn } from 'node:child_process';
import { KubeConfigError } from './errors.js';
import type { Env } from './process-env.js';

/** The ExecCredential API versions a plugin may speak (v1alpha1 was removed in Kubernetes 1.24). */
export const execApiVersions = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
] as const;

/** An exec credential plugin version. */
export type ExecApiVersion = (typeof execApiVersions)[number];

/** A kubeconfig user's `exec` block (client-go's `ExecConfig`). */
export interface ExecConfig {
  readonly apiVersion: ExecApiVersion;
  /** The program; a relative path with a slash is already resolved against the kubeconfig's directory. */
  readonly command: string;
  readonly args?: readonly string[] | undefined;
  /** Added to (and overriding) the inherited environment. */
  readonly env?: Readonly<Record<string, string>> | undefined;
  /** Shown when the command is not found. */
  readonly installHint?: string | undefined;
  /** Pass the cluster (server, CA) to the plugin in `KUBERNETES_EXEC_INFO`. */
  readonly provideClusterInfo?: boolean | undefined;
}

/** The cluster as the plugin sees it in `KUBERNETES_EXEC_INFO` with `provideClusterInfo`. */
export interface ExecClusterInfo {
  readonly server: string;
  readonly 'tls-server-name'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  readonly 'certificate-authority-data'?: string;
}

/** What a plugin returned: a bearer token or a client certificate, and until when it holds. */
export interface ExecCredential {
  readonly token?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Epoch milliseconds of `status.expirationTimestamp`; none: valid until the process ends. */
  readonly expiresAt?: number;
}

/** Options of {@link runExecPlugin}. */
export interface RunExecPluginOptions {
  /** The environment the plugin inherits (its own `env` entries are added on top). */
  readonly env: Env;
  readonly timeoutMs: number;
  readonly cluster?: ExecClusterInfo | undefined;
  /** Where the exec block is, for messages: `kubeconfig /x, users["admin"].user.exec`. */
  readonly where: string;
}

const maxOutputBytes = 1 << 20;
const stderrTailChars = 300;

/**
 * Runs an exec credential plugin once (non-interactive, stdin closed) and parses the
 * ExecCredential it prints, as client-go's `exec` authenticator does.
 *
 * @throws KubeConfigError `exec-failed`: the command did not start (with its install hint), exited
 *   non-zero or timed out (with the end of its stderr), or printed no usable credential. Its
 *   standard output is never quoted: it holds the credential.
 */
export async function runExecPlugin(
  exec: ExecConfig,
  options: RunExecPluginOptions,
): Promise<ExecCredential> {
  const stdout = await spawnPlugin(exec, options);
  return parseExecCredential(stdout, exec, options.where);
}

function execInfo(exec: ExecConfig, cluster: ExecClusterInfo | undefined): string {
  return JSON.stringify({
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo === true && cluster !== undefined ? { cluster } : {}),
    },
  });
}

async function spawnPlugin(exec: ExecConfig, options: RunExecPluginOptions): Promise<string> {
  const failed = (message: string, cause?: unknown): KubeConfigError =>
    new KubeConfigError('exec-failed', `${options.where}: plugin "${exec.command}" ${message}`, {
      ...(cause === undefined ? {} : { cause }),
    });
  const child = spawn(exec.command, exec.args ?? [], {
    env: { ...options.env, ...exec.env, KUBERNETES_EXEC_INFO: execInfo(exec, options.cluster) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stdoutBytes = 0;
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    if (stdoutBytes <= maxOutputBytes) stdout.push(chunk);
    else child.kill();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-stderrTailChars);
  });
  // An object, not a let: TypeScript does not see the timer callback assign a local.
  const state = { isTimedOut: false };
  const timer = setTimeout(() => {
    state.isTimedOut = true;
    child.kill();
  }, options.timeoutMs);
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>(
      (resolve, reject) => {
        child.on('error', reject);
        child.on('close', (exitCode, exitSignal) => {
          resolve({ code: exitCode, signal: exitSignal });
        });
      },
    ).catch((err: unknown) => {
      const hint = exec.installHint ? `; ${exec.installHint.trim()}` : '';
      throw failed(
        `could not be started (${(err as NodeJS.ErrnoException).code ?? 'error'})${hint}`,
        err,
      );
    });
    const tail = stderr.trim() === '' ? '' : `: ${stderr.trim()}`;
    if (state.isTimedOut) throw failed(`timed out after ${options.timeoutMs} ms${tail}`);
    if (stdoutBytes > maxOutputBytes) throw failed(`printed more than ${maxOutputBytes} bytes`);
    if (code !== 0)
      throw failed(
        `failed (${code === null ? `signal ${signal ?? '?'}` : `exit code ${code}`})${tail}`,
      );
    return Buffer.concat(stdout).toString('utf8');
  } finally {
    clearTimeout(timer);
  }
}

type Fields = Readonly<Record<string, unknown>>;

const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Parses a plugin's output. Exported for tests.
 *
 * @throws KubeConfigError `exec-failed` naming what is missing or wrong (never the values).
 */
export function parseExecCredential(
  stdout: string,
  exec: ExecConfig,
  where: string,
): ExecCredential {
  const bad = (what: string): KubeConfigError =>
    new KubeConfigError('exec-failed', `${where}: plugin "${exec.command}" ${what}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    // No cause: JSON.parse's message quotes the input, which may hold the credential.
    throw bad('printed no JSON ExecCredential');
  }
  if (!isFields(parsed) || parsed['kind'] !== 'ExecCredential') {
    throw bad('printed no ExecCredential (kind)');
  }
  if (parsed['apiVersion'] !== exec.apiVersion) {
    throw bad(`answered with apiVersion ${String(parsed['apiVersion'])}, not ${exec.apiVersion}`);
  }
  const status = parsed['status'];
  if (!isFields(status)) throw bad('printed an ExecCredential without status');
  return credentialOf(status, bad);
}

function credentialOf(status: Fields, bad: (what: string) => KubeConfigError): ExecCredential {
  const text = (key: string): string | undefined => {
    const value = status[key];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw bad(`printed a non-string status.${key}`);
    return value;
  };
  const token = text('token');
  const cert = text('clientCertificateData');
  const key = text('clientKeyData');
  if ((cert === undefined) !== (key === undefined)) {
    throw bad('printed only one of status.clientCertificateData and status.clientKeyData');
  }
  if (token === undefined && cert === undefined) {
    throw bad('printed neither status.token nor status.clientCertificateData');
  }
  const expiration = text('expirationTimestamp');
  const expiresAt = expiration === undefined ? undefined : Date.parse(expiration);
  if (expiresAt !== undefined && Number.isNaN(expiresAt)) {
    throw bad('printed a status.expirationTimestamp that is not an RFC 3339 time');
  }
  return {
    ...(token === undefined ? {} : { token }),
    ...(cert === undefined || key === undefined ? {} : { cert, key }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}
