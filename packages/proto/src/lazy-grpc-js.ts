import { createRequire } from 'node:module';
import type * as grpc from '@grpc/grpc-js';

/**
 * `makeGenericClientConstructor` of @grpc/grpc-js, loaded on first use. The generated files
 * (scripts/lazy-grpc-clients.mjs rewrites their import) create their client classes at module
 * load; through this, grpc-js (about 11 MiB of RSS) is loaded only by a process that constructs a
 * client or reads a property of its class, never by one that only encodes and decodes messages.
 */
export const makeGenericClientConstructor: typeof grpc.makeGenericClientConstructor = (
  methods,
  serviceName,
  classOptions,
) => {
  let real: grpc.ServiceClientConstructor | undefined;
  const load = (): grpc.ServiceClientConstructor => {
    if (real === undefined) {
      const grpcJs = createRequire(import.meta.url)('@grpc/grpc-js') as typeof grpc;
      real = grpcJs.makeGenericClientConstructor(methods, serviceName, classOptions);
    }
    return real;
  };
  // A function target, so that `new` and `instanceof` work through the proxy.
  const target = function lazyClient() {} as unknown as grpc.ServiceClientConstructor;
  const proxy: grpc.ServiceClientConstructor = new Proxy(target, {
    construct: (_target, args, newTarget) =>
      Reflect.construct(load(), args, newTarget === proxy ? load() : newTarget) as object,
    get: (_target, key) => Reflect.get(load(), key) as unknown,
    has: (_target, key) => Reflect.has(load(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(load()),
  });
  return proxy;
};
