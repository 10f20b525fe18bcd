import { X509Certificate } from 'node:crypto';
import type { Logger } from '@aigw/service-kit';
import { WebhookError } from '../errors.js';
import { isKubeApiError, type KubeClient } from '../kube/kube-client.js';
import type { ServingCert } from './serving-cert.js';
import { createCertificate } from './x509.js';

/** Options of {@link ensureSelfSignedCert}. */
export interface SelfSignedOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly secretName: string;
  /** DNS names and IPs the certificate must cover (the Service names, `--tls-sans`). */
  readonly sans: readonly string[];
  readonly now: () => Date;
  readonly log: Logger;
}

/** The Secret's keys (upstream's chart Secret layout). */
const caKey = 'ca.crt';
const certKey = 'tls.crt';
const keyKey = 'tls.key';

const caDays = 3650;
const certDays = 3650;
/** A stored certificate this close to expiry is replaced. */
const renewBeforeMs = 30 * 86_400_000;

/** The self-signed material: the CA (for `caBundle`) and the serving pair. */
export interface SelfSigned extends ServingCert {
  readonly caPem: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: unknown): string | undefined =>
  typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : undefined;

/** The Service DNS names of `<service>` in `<namespace>` (what the API server dials). */
export function serviceSans(service: string, namespace: string): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.cluster.local`,
  ];
}

/** Whether a stored pair is usable: parses, covers every SAN, is not about to expire. */
function usable(stored: SelfSigned, sans: readonly string[], now: Date): boolean {
  try {
    const cert = new X509Certificate(stored.cert);
    const ca = new X509Certificate(stored.caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (new Date(cert.validTo).getTime() - now.getTime() < renewBeforeMs) return false;
    return sans.every((san) => (cert.checkHost(san) ?? cert.checkIP(san)) !== undefined);
  } catch {
    return false;
  }
}

function generate(sans: readonly string[], now: Date): SelfSigned {
  const ca = createCertificate({
    commonName: 'aigw-webhook-ca',
    now,
    validDays: caDays,
    isCa: true,
  });
  const leaf = createCertificate({
    commonName: sans[0] ?? 'aigw-webhook',
    now,
    validDays: certDays,
    isCa: false,
    sans,
    issuer: { commonName: 'aigw-webhook-ca', key: ca.key },
  });
  return { caPem: ca.certPem, cert: leaf.certPem, key: leaf.keyPem };
}

/**
 * Gets the CA and serving certificate from the Secret `secretName`, or creates them (what
 * upstream's chart does with `genCA`/`genSignedCert` and `lookup`): every replica of the webhook
 * ends up serving the same certificate, and a restart keeps it. A stored certificate that does
 * not cover `sans` or expires within 30 days is replaced. Two replicas starting together: one
 * create wins (409 for the other, which reads the winner's).
 *
 * @throws WebhookError `cluster_state` when the Secret cannot be read or written.
 */
export async function ensureSelfSignedCert(options: SelfSignedOptions): Promise<SelfSigned> {
  const where = `Secret ${options.namespace}/${options.secretName}`;
  try {
    const stored = await readStored(options);
    if (stored && usable(stored, options.sans, options.now())) return stored;
    const fresh = generate(options.sans, options.now());
    if (!(await writeSecret(options, fresh, stored !== undefined))) {
      return await ensureSelfSignedCert(options);
    }
    options.log.info(
      { secret: where },
      stored ? 'self-signed certificate replaced' : 'self-signed certificate created',
    );
    return fresh;
  } catch (err) {
    if (!isKubeApiError(err)) throw err;
    throw new WebhookError('cluster_state', `self-signed certificate in ${where}: ${err.message}`, {
      cause: err,
    });
  }
}

const secretsPath = (namespace: string): string =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;

async function readStored(options: SelfSignedOptions): Promise<SelfSigned | undefined> {
  const path = `${secretsPath(options.namespace)}/${encodeURIComponent(options.secretName)}`;
  const found = (await options.client.json(path)) as { data?: Record<string, unknown> } | undefined;
  if (found === undefined) return undefined;
  const data = found.data ?? {};
  return {
    caPem: unb64(data[caKey]) ?? '',
    cert: unb64(data[certKey]) ?? '',
    key: unb64(data[keyKey]) ?? '',
  };
}

/** Writes the Secret; false when another replica created it first (409). */
async function writeSecret(
  options: SelfSignedOptions,
  fresh: SelfSigned,
  exists: boolean,
): Promise<boolean> {
  const { client, namespace, secretName } = options;
  const data = { [caKey]: b64(fresh.caPem), [certKey]: b64(fresh.cert), [keyKey]: b64(fresh.key) };
  if (exists) {
    await client.json(`${secretsPath(namespace)}/${encodeURIComponent(secretName)}`, {
      method: 'PATCH',
      contentType: 'application/merge-patch+json',
      body: { data },
    });
    return true;
  }
  try {
    await client.json(secretsPath(namespace), {
      method: 'POST',
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: secretName, namespace },
        type: 'kubernetes.io/tls',
        data,
      },
    });
    return true;
  } catch (err) {
    if (isKubeApiError(err) && err.status === 409) return false;
    throw err;
  }
}

/**
 * Sets `caBundle` of every webhook of the MutatingWebhookConfiguration `name` to `caPem` (what
 * upstream's controller does at start). Returns false when the configuration does not exist.
 *
 * @throws WebhookError `cluster_state` when it cannot be read or patched.
 */
export async function patchCaBundle(
  client: KubeClient,
  name: string,
  caPem: string,
): Promise<boolean> {
  const path = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(name)}`;
  try {
    const found = (await client.json(path)) as { webhooks?: unknown[] } | undefined;
    if (found === undefined) return false;
    const bundle = b64(caPem);
    const patch = (found.webhooks ?? []).map((_, i) => ({
      op: 'add',
      path: `/webhooks/${String(i)}/clientConfig/caBundle`,
      value: bundle,
    }));
    if (patch.length > 0) {
      await client.json(path, {
        method: 'PATCH',
        contentType: 'application/json-patch+json',
        body: patch,
      });
    }
    return true;
  } catch (err) {
    if (!isKubeApiError(err)) throw err;
    throw new WebhookError(
      'cluster_state',
      `MutatingWebhookConfiguration ${name}: ${err.message}`,
      { cause: err },
    );
  }
}
