import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createCertificate, derInteger } from './x509.js';

describe('createCertificate', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  const ca = createCertificate({ commonName: 'test-ca', now, validDays: 10, isCa: true });
  const leaf = createCertificate({
    commonName: 'svc.ns.svc',
    now,
    validDays: 5,
    isCa: false,
    sans: ['svc.ns.svc', '127.0.0.1', '::1'],
    issuer: { commonName: 'test-ca', key: ca.key },
  });

  it('makes a CA and a server certificate it signed, with the SANs asked for', () => {
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(leaf.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.subjectAltName).toBe(
      'DNS:svc.ns.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    );
    expect(new Date(cert.validTo).toISOString()).toBe('2026-12-12T00:00:00.000Z');
  });

  it('gives a key that matches its certificate', () => {
    expect(() => createSecureContext({ cert: leaf.certPem, key: leaf.keyPem })).not.toThrow();
  });
});

describe('derInteger', () => {
  const now = new Date('2026-12-07T00:00:00Z');
  const hex = (bytes: number[]): string => derInteger(Buffer.from(bytes)).toString('hex');

  it('writes the minimal encoding of a non-negative number', () => {
    expect(hex([0x01, 0x02])).toBe('02020102');
    expect(hex([0x80])).toBe('02020080'); // a high bit gets one 0x00
    expect(hex([0x00, 0x00, 0x7f, 0x01])).toBe('02027f01'); // leading zeros go ("illegal padding")
    expect(hex([0x00, 0x80])).toBe('02020080'); // the one 0x00 a high bit needs stays
    expect(hex([0x00, 0x00])).toBe('020100'); // zero is one byte
  });

  it('makes serials OpenSSL accepts, a leading zero byte included (1 in 128 random serials)', () => {
    for (let i = 0; i < 300; i++) {
      const cert = createCertificate({
        commonName: `c${String(i)}`,
        now,
        validDays: 1,
        isCa: true,
      });
      expect(() => new X509Certificate(cert.certPem)).not.toThrow();
    }
  });
});
