import { CredentialError, describeError } from './errors.js';

/**
 * A loader for a cloud SDK that imports it at the first call and shares the module afterwards.
 *
 * The SDKs (the AWS SDK v3 STS client, `@azure/identity`, `google-auth-library`) add about 50 MiB
 * of RSS when loaded, while most installations use API keys only: importing this package, or
 * creating a rotator, must not load them. Each exchange awaits its SDK's loader instead.
 *
 * Concurrent first calls share one import. A failed import rejects with a
 * {@link CredentialError} `internal` naming the module (an installation fault, not the cloud's
 * answer), and is not remembered: the next exchange — the rotator's retry — tries again.
 *
 * @param specifier The module's name, for the error message.
 * @param load `() => import('<specifier>')` with a literal specifier, so that it stays typed.
 */
export function lazyModule<M>(specifier: string, load: () => Promise<M>): () => Promise<M> {
  let loading: Promise<M> | undefined;
  return () => {
    loading ??= Promise.resolve()
      .then(load)
      .catch((err: unknown) => {
        loading = undefined;
        throw new CredentialError(
          'internal',
          `cannot load ${specifier}, which this exchange needs: ${describeError(err)}`,
        );
      });
    return loading;
  };
}
