import { Writable } from 'node:stream';
import { legacyConfigSecretName, legacyFilterConfigKey } from '@aigw/filterapi';
import { createLogger } from '@aigw/service-kit/core';
import { waitFor, type KubeApiServer } from '@aigw/testkit';
import type { KubeObject } from '../../src/runtime/contracts.js';
import { startController, type Controller } from '../../src/runtime/controller.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { createReconcilers } from '../../src/reconcilers/reconcilers.js';
import {
  createCredentialRotator,
  type CredentialRotatorOptions,
} from '../../src/reconcilers/rotation.js';
import { kubeConfigFor } from './kube.js';
import { decodedData, readObject, reconciledKinds, testNow } from './reconcile-kit.js';

/** An object reference as the reconcile kit's readers take it. */
export interface ObjectRef {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace: string };
}

/** A BackendSecurityPolicy (hub version). */
export function policyRef(namespace: string, name: string): ObjectRef {
  return {
    apiVersion: 'aigateway.envoyproxy.io/v1beta1',
    kind: 'BackendSecurityPolicy',
    metadata: { name, namespace },
  };
}

/** The Secret `ai-eg-bsp-<policy>` the controller's rotator writes (upstream's name). */
export function rotatedRef(namespace: string, policy: string): ObjectRef {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: `ai-eg-bsp-${policy}`, namespace } };
}

/** The expiry annotation (`rotators/expiration-time`) of a rotated Secret, epoch ms (NaN if none). */
export function expiryOf(secret: KubeObject | undefined): number {
  return Date.parse(secret?.metadata.annotations?.['rotators/expiration-time'] ?? '');
}

/**
 * Waits for the rotated Secret of `policy` to hold, under `key`, a value other than `previous`
 * (any value when `previous` is undefined) that `isValid` accepts; returns the Secret.
 */
export async function waitForRotated(
  client: KubeClient,
  target: { namespace: string; policy: string; key: string },
  expect: { previous?: string; isValid?: (value: string) => boolean } = {},
): Promise<KubeObject> {
  const ref = rotatedRef(target.namespace, target.policy);
  return waitFor(
    async () => {
      const secret = await readObject(client, ref);
      const value = decodedData(secret)[target.key];
      if (value === undefined || value === expect.previous) return undefined;
      return (expect.isValid?.(value) ?? true) ? secret : undefined;
    },
    {
      timeoutMs: 30_000,
      description:
        expect.previous === undefined
          ? `Secret ${ref.metadata.name} with ${target.key}`
          : `a rotated ${target.key} in Secret ${ref.metadata.name}`,
    },
  );
}

/** One backend of a Gateway's extproc config, as the controller wrote it. */
export interface ConfigBackend {
  readonly name: string;
  readonly auth?: Record<string, Record<string, unknown>>;
}

/**
 * The backends of the Gateway's extproc config (the legacy config Secret `<gw>-<ns>`, which holds
 * the whole config while it fits; the bundle carries the same text), or undefined when absent.
 */
export async function configBackends(
  client: KubeClient,
  gateway: { namespace: string; name: string },
): Promise<ConfigBackend[] | undefined> {
  const name = legacyConfigSecretName({
    gatewayName: gateway.name,
    gatewayNamespace: gateway.namespace,
  });
  const secret = await readObject(client, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: gateway.namespace },
  });
  const text = decodedData(secret)[legacyFilterConfigKey];
  if (text === undefined) return undefined;
  return (JSON.parse(text) as { backends?: ConfigBackend[] }).backends ?? [];
}

/**
 * Waits until the config backend generated for AIServiceBackend `<namespace>/<backend>` carries
 * an auth that `matches` accepts; returns that auth.
 */
export async function waitForConfigAuth(
  client: KubeClient,
  target: { gateway: { namespace: string; name: string }; backend: string },
  matches: (auth: Record<string, Record<string, unknown>>) => boolean,
): Promise<Record<string, Record<string, unknown>>> {
  const prefix = `${target.gateway.namespace}/${target.backend}/`;
  return waitFor(
    async () => {
      const backends = await configBackends(client, target.gateway);
      const auth = backends?.find((b) => b.name.startsWith(prefix))?.auth;
      return auth !== undefined && matches(auth) ? auth : undefined;
    },
    { timeoutMs: 30_000, description: `the config of backend ${prefix} with the new credential` },
  );
}

/** A controller whose JSON log lines are kept (to check that no secret reaches them). */
export interface RotatingController {
  readonly controller: Controller;
  readonly logLines: readonly string[];
}

/**
 * The real controller runtime with the reconcilers and the credential rotator (`rotation` options),
 * logging at debug level into memory.
 */
export async function startRotatingController(
  kube: KubeApiServer,
  rotation: CredentialRotatorOptions,
): Promise<RotatingController> {
  const logLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const controller = startController({
    reconcilers: createReconcilers({
      now: () => testNow,
      rotateCredentials: createCredentialRotator(rotation),
    }),
    kubeConfig: kubeConfigFor(kube),
    log: createLogger({ name: 'controller-test', level: 'debug', format: 'json', destination }),
    kinds: reconciledKinds,
    resyncMs: 0,
  });
  await controller.whenSynced();
  return { controller, logLines };
}
