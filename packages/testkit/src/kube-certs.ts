import { execFile } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { TestkitError } from './errors.js';
import { which } from './which.js';

const run = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

/** Files {@link writeKubeCredentials} wrote for one kube-apiserver, and the secrets in them. */
export interface KubeCredentials {
  /** PEM of the throwaway CA that signed the serving certificate; clients trust only this. */
  readonly caPem: string;
  /** Serving certificate (`--tls-cert-file`), valid for 127.0.0.1, localhost and 10.0.0.1. */
  readonly certFile: string;
  /** Its private key (`--tls-private-key-file`). */
  readonly keyFile: string;
  /** Public half of the service-account signing key (`--service-account-key-file`). */
  readonly serviceAccountPublicKeyFile: string;
  /** Private half (`--service-account-signing-key-file`). */
  readonly serviceAccountPrivateKeyFile: string;
  /** `--token-auth-file`: one line granting {@link KubeCredentials.token} `system:masters`. */
  readonly tokenFile: string;
  /** The random admin bearer token. */
  readonly token: string;
}

// Names the serving certificate must carry: how tests reach it, and how in-cluster clients of the
// `kubernetes` Service would (10.0.0.1 is the first address of --service-cluster-ip-range).
const subjectAltNames = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'IP:10.0.0.1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
].join(',');
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/**
 * Writes into `dir` everything a throwaway kube-apiserver needs to serve TLS and authenticate: a
 * one-day CA and a serving certificate it signed (made with the `openssl` CLI, because node:crypto
 * cannot issue certificates), an RSA service-account signing key pair (node:crypto), and a static
 * token file whose single admin token is in group `system:masters`.
 *
 * @throws TestkitError `binary-not-found` when `openssl` is not on PATH.
 */
export async function writeKubeCredentials(dir: string): Promise<KubeCredentials> {
  const openssl = which('openssl');
  if (openssl === undefined) {
    throw new TestkitError(
      'binary-not-found',
      'openssl not found on PATH: the kube harness needs it to issue the API server certificate ' +
        '(install the openssl package)',
    );
  }
  const at = (name: string): string => join(dir, name);
  const [caPem] = await Promise.all([issueCertificates(openssl, at), writeServiceAccountKeys(at)]);
  const token = randomBytes(24).toString('hex');
  await writeFile(at('tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
  return {
    caPem,
    certFile: at('apiserver.crt'),
    keyFile: at('apiserver.key'),
    serviceAccountPublicKeyFile: at('sa.pub'),
    serviceAccountPrivateKeyFile: at('sa.key'),
    tokenFile: at('tokens.csv'),
    token,
  };
}

async function issueCertificates(openssl: string, at: (name: string) => string): Promise<string> {
  const days = ['-days', '1'];
  await run(openssl, [
    ...['req', '-x509', ...ecKey, ...days],
    ...['-subj', '/CN=aigw-test-ca', '-keyout', at('ca.key'), '-out', at('ca.crt')],
  ]);
  await run(openssl, [
    ...['req', '-new', ...ecKey, '-subj', '/CN=kube-apiserver'],
    ...['-keyout', at('apiserver.key'), '-out', at('apiserver.csr')],
  ]);
  // An extension file rather than -addext/-copy_extensions keeps this working with OpenSSL 1.1.
  await writeFile(
    at('apiserver.ext'),
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n` +
      `extendedKeyUsage=serverAuth\nsubjectAltName=${subjectAltNames}\n`,
  );
  await run(openssl, [
    ...['x509', '-req', '-in', at('apiserver.csr'), ...days, '-set_serial', '1'],
    ...['-CA', at('ca.crt'), '-CAkey', at('ca.key'), '-extfile', at('apiserver.ext')],
    ...['-out', at('apiserver.crt')],
  ]);
  return readFile(at('ca.crt'), 'utf8');
}

async function writeServiceAccountKeys(at: (name: string) => string): Promise<void> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(at('sa.pub'), publicKey);
  await writeFile(at('sa.key'), privateKey, { mode: 0o600 });
}
