import { describe, expect, it } from 'vitest';

import { CredentialError, scrubSecrets } from './errors.js';

describe('scrubSecrets', () => {
  it.each([
    ['a JWT', 'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl refused', 'eyJ'],
    ['a bearer value', 'header Authorization: Bearer abc.def refused', 'abc.def'],
    ['a basic value', 'Basic dXNlcjpwYXNz was sent', 'dXNlcjpwYXNz'],
    ['a long token', 'got ya29.a0AfB_byC1234567890abcdefghijklmnopqrstuvwxyz back', 'a0AfB_by'],
    ['a PEM key', 'key -----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY----- bad', 'MIIB'],
  ])('redacts %s', (_name, text, secret) => {
    const out = scrubSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('redacts the known values it is given, however short', () => {
    expect(scrubSecrets('client secret s3cr3t was refused', ['s3cr3t'])).toBe(
      'client secret [redacted] was refused',
    );
  });

  it('keeps URLs, ARNs and trace ids readable', () => {
    const text =
      'STS at https://sts.us-east-1.amazonaws.com for arn:aws:iam::123456789012:role/gateway-role ' +
      'audience //iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/p ' +
      'Trace ID: 36b6515f-e742-43f9-9db8-21bd184c5e40';
    expect(scrubSecrets(text)).toBe(text);
  });

  it('is applied to every CredentialError message', () => {
    const err = new CredentialError('refused', 'bad token eyJhbGciOiJSUzI1NiJ9.eyJ4IjoxfQ.c2ln');
    expect(err.message).toBe('bad token [redacted]');
    expect(err.code).toBe('refused');
  });
});
