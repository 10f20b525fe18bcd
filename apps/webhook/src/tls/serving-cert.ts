import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from '@aigw/service-kit';

/** A serving certificate chain and its key (PEM). */
export interface ServingCert {
  readonly cert: string;
  readonly key: string;
}

/** The files of a `kubernetes.io/tls` Secret volume. */
export const certFileName = 'tls.crt';
export const keyFileName = 'tls.key';

/** Reads `tls.crt` and `tls.key` from `dir` and checks they form a usable pair. */
export async function readServingCert(dir: string): Promise<ServingCert> {
  const [cert, key] = await Promise.all([
    readFile(join(dir, certFileName), 'utf8'),
    readFile(join(dir, keyFileName), 'utf8'),
  ]);
  // Throws on unparsable PEM and on a key that does not match the certificate.
  createSecureContext({ cert, key });
  return { cert, key };
}

/** Options of {@link watchServingCert}. */
export interface WatchServingCertOptions {
  readonly dir: string;
  readonly current: ServingCert;
  readonly intervalMs: number;
  readonly log: Logger;
  readonly onChange: (cert: ServingCert) => void;
}

/**
 * Polls the certificate files and calls `onChange` with a new pair once both files changed into
 * a matching pair. Polling rather than fs.watch: a Secret volume swaps a `..data` symlink, which
 * inotify on the files does not report. A half-written rotation (new certificate, old key) is
 * skipped until the pair matches; the server keeps the previous one meanwhile.
 */
export function watchServingCert(options: WatchServingCertOptions): { close(): void } {
  let current = options.current;
  let failing = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    readServingCert(options.dir)
      .then((next) => {
        failing = false;
        if (next.cert === current.cert && next.key === current.key) return;
        current = next;
        options.onChange(next);
        options.log.info({ dir: options.dir }, 'serving certificate reloaded');
      })
      .catch((err: unknown) => {
        if (!failing)
          options.log.warn(
            { err, dir: options.dir },
            'serving certificate unreadable; keeping the current one',
          );
        failing = true;
      })
      .finally(() => {
        busy = false;
      });
  }, options.intervalMs);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
    },
  };
}
