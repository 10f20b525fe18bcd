import { readFile } from 'node:fs/promises';
import { removeTempDir, tempDir, writeKubeCredentials } from '@aigw/testkit';

/** A throwaway CA and a serving certificate for localhost / 127.0.0.1 it signed. */
export interface TestTls {
  readonly caPem: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * Issues a one-day CA and a localhost serving certificate (the test kit's openssl-based issuer,
 * which also serves the kube-apiserver), for fakes of HTTPS-only services such as Entra ID.
 */
export async function testTls(): Promise<TestTls> {
  const dir = tempDir('cloud-credentials-tls');
  try {
    const issued = await writeKubeCredentials(dir);
    const [cert, key] = await Promise.all([
      readFile(issued.certFile, 'utf8'),
      readFile(issued.keyFile, 'utf8'),
    ]);
    return { caPem: issued.caPem, cert, key };
  } finally {
    await removeTempDir(dir);
  }
}
