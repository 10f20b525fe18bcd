import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// A minimal X.509 v3 writer (DER, ECDSA P-256 with SHA-256) for the self-signed bootstrap: a CA
// and one serving certificate signed by it. node:crypto can parse certificates (X509Certificate)
// but not create them; this is the ~100 lines of DER that Helm's genCA/genSignedCert do, without
// an openssl binary in the image or a PKI library in the dependencies.

const tag = (t: number, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from([t]), derLength(body.length), body]);

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const seq = (...items: Buffer[]): Buffer => tag(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tag(0x31, Buffer.concat(items));
const explicit = (n: number, body: Buffer): Buffer => tag(0xa0 + n, body);
const octets = (b: Buffer): Buffer => tag(0x04, b);
const bitString = (b: Buffer, unused = 0): Buffer =>
  tag(0x03, Buffer.concat([Buffer.from([unused]), b]));
const boolTrue = Buffer.from([0x01, 0x01, 0xff]);
const utf8 = (s: string): Buffer => tag(0x0c, Buffer.from(s, 'utf8'));

/**
 * A non-negative DER INTEGER of big-endian bytes: minimal, as DER requires (OpenSSL refuses a
 * leading 0x00 before a byte below 0x80 as "illegal padding"), with one 0x00 before a high bit.
 */
export function derInteger(b: Buffer): Buffer {
  let start = 0;
  while (start < b.length - 1 && b[start] === 0 && ((b[start + 1] ?? 0) & 0x80) === 0) start++;
  const minimal = b.subarray(start);
  const body = (minimal[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal;
  return tag(0x02, body);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128))
      chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tag(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tag(0x17, Buffer.from(`${iso.slice(2)}Z`))
    : tag(0x18, Buffer.from(`${iso}Z`));
}

const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
const name = (commonName: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(commonName))));
const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  seq(oid(id), ...(critical ? [boolTrue] : []), octets(value));

function subjectAltNames(names: readonly string[]): Buffer {
  return seq(
    ...names.map((n) => {
      const family = isIP(n);
      if (family === 0) return tag(0x82, Buffer.from(n, 'ascii'));
      const bytes =
        family === 4
          ? Buffer.from(n.split('.').map(Number))
          : Buffer.from(
              expandIpv6(n)
                .map((g) => [g >> 8, g & 0xff])
                .flat(),
            );
      return tag(0x87, bytes);
    }),
  );
}

function expandIpv6(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** A key pair and its certificate, PEM-encoded. */
export interface PemCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Options of {@link createCertificate}. */
export interface CertificateOptions {
  readonly commonName: string;
  /** Not before (a minute earlier, for clock skew). */
  readonly now: Date;
  readonly validDays: number;
  /** A CA certificate (basicConstraints CA, keyCertSign) rather than a TLS server certificate. */
  readonly isCa: boolean;
  /** DNS names and IP addresses (server certificates). */
  readonly sans?: readonly string[];
  /** The signing CA; absent: self-signed. */
  readonly issuer?: { readonly commonName: string; readonly key: KeyObject };
}

const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n`;

/** Creates an EC P-256 key pair and an X.509 v3 certificate for it. */
export function createCertificate(
  options: CertificateOptions,
): PemCertificate & { readonly key: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const notBefore = new Date(options.now.getTime() - 60_000);
  const notAfter = new Date(options.now.getTime() + options.validDays * 86_400_000);
  const extensions = options.isCa
    ? [
        extension('2.5.29.19', true, seq(boolTrue)),
        // keyCertSign, cRLSign
        extension('2.5.29.15', true, bitString(Buffer.from([0x06]), 1)),
      ]
    : [
        extension('2.5.29.19', true, seq()),
        // digitalSignature, keyEncipherment
        extension('2.5.29.15', true, bitString(Buffer.from([0xa0]), 5)),
        extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
        extension('2.5.29.17', false, subjectAltNames(options.sans ?? [])),
      ];
  const tbs = seq(
    explicit(0, derInteger(Buffer.from([2]))),
    derInteger(serial),
    ecdsaWithSha256,
    name(options.issuer?.commonName ?? options.commonName),
    seq(time(notBefore), time(notAfter)),
    name(options.commonName),
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, options.issuer?.key ?? privateKey);
  const der = seq(tbs, ecdsaWithSha256, bitString(signature));
  return {
    certPem: pem('CERTIFICATE', der),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    key: privateKey,
  };
}
