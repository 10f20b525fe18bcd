import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import type { Prices, Tenants } from '@aigw/filterapi';
import { useHarness, waitFor, type KubeApiServer } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { Controller } from '../src/runtime/controller.js';
import type { KubeClient } from '../src/runtime/kube-client.js';
import { createNamespace, testClient } from './support/kube.js';
import {
  acceptedOf,
  applyObjects,
  applyReconcilerCrds,
  decodedData,
  deleteObject,
  parseObjects,
  readObject,
  startReconcilers,
  waitForAccepted,
} from './support/reconcile-kit.js';

/**
 * Tenants and money budgets on Kubernetes (docs/budgets.md "Tenants and money budgets"): the
 * client-keys Secret and price-catalog ConfigMap a GatewayConfig names reach the extproc config
 * of the Gateways naming it, follow every edit, and fail closed, with the problems in the
 * GatewayConfig's status.
 */
const ns = 'tenants';
const sha = (key: string): string => createHash('sha256').update(key).digest('hex');

const fixtures = `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: gw
  namespace: ${ns}
  annotations: {aigateway.envoyproxy.io/gateway-config: gwc}
spec: {gatewayClassName: aigw, listeners: [{name: http, protocol: HTTP, port: 80}]}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: be, namespace: ${ns}}
spec: {endpoints: [{fqdn: {hostname: api.openai.com, port: 443}}]}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai, namespace: ${ns}}
spec: {schema: {name: OpenAI}, backendRef: {name: be, kind: Backend, group: gateway.envoyproxy.io}}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: chat, namespace: ${ns}}
spec:
  parentRefs: [{name: gw}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o-mini}]}]
      backendRefs: [{name: openai}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: GatewayConfig
metadata:
  name: gwc
  namespace: ${ns}
  annotations:
    aigateway.envoyproxy.io/client-keys: client-keys
    aigateway.envoyproxy.io/price-catalog: prices
spec: {}
`;

const secretRef = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'client-keys', namespace: ns },
};
const gatewayConfigRef = {
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'GatewayConfig',
  metadata: { name: 'gwc', namespace: ns },
};

const keysSecret = (stringData: Record<string, string>): object => ({
  ...secretRef,
  type: 'Opaque',
  stringData,
});

const catalog = (input: number, model = 'gpt-4o-mini'): object => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: {
    name: 'prices',
    namespace: ns,
    labels: { 'aigateway.envoyproxy.io/price-catalog': 'true' },
  },
  data: {
    'prices.yaml': stringify({
      currency: 'USD',
      models: [{ model, price: { input, cachedInput: 75000, output: 600000 } }],
    }),
  },
});

const priced = (input: number, model = 'gpt-4o-mini'): Prices => ({
  currency: 'USD',
  metadataKey: 'llm_cost',
  budgetUnit: 'micro',
  models: [{ model, price: { input, cachedInput: 75000, output: 600000 } }],
});

const keys = (...entries: [string, string][]): Omit<Tenants, 'tenantHeader'> => ({
  required: true,
  keys: entries.map(([tenant, key]) => ({ tenant, sha256: sha(key) })),
});

describe('tenants and money budgets from a GatewayConfig', () => {
  const harness = useHarness();
  let kube: KubeApiServer;
  let client: KubeClient;
  let controller: Controller;

  /** The tenants and prices of the Gateway's config (its legacy Secret: no proxies here). */
  const budgetsOf = async (): Promise<{ tenants?: unknown; prices?: unknown } | undefined> => {
    const text = decodedData(
      await readObject(client, {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `gw-${ns}`, namespace: ns },
      }),
    )['filter-config.yaml'];
    if (text === undefined) return undefined;
    const { tenants, prices } = parse(text) as { tenants?: unknown; prices?: unknown };
    return { tenants, prices };
  };

  const waitForBudgets = async (expected: {
    tenants?: unknown;
    prices?: unknown;
  }): Promise<void> => {
    try {
      await waitFor(async () => isDeepStrictEqual(await budgetsOf(), expected), {
        timeoutMs: 20_000,
        description: `the Gateway's config carries ${JSON.stringify(expected)}`,
      });
    } catch (err) {
      expect(await budgetsOf()).toEqual(expected);
      throw err;
    }
  };

  /** Waits for the GatewayConfig's Accepted condition whose message satisfies `test`. */
  const waitForStatus = async (
    status: 'True' | 'False',
    test: (message: string) => boolean,
  ): Promise<string> =>
    waitFor(
      async () => {
        const condition = acceptedOf(await readObject(client, gatewayConfigRef));
        const message = typeof condition?.['message'] === 'string' ? condition['message'] : '';
        return condition?.['status'] === status && test(message) ? message : undefined;
      },
      { timeoutMs: 20_000, description: `GatewayConfig gwc Accepted=${status}` },
    );

  beforeAll(async () => {
    kube = await harness.kube();
    await applyReconcilerCrds(kube);
    client = testClient(kube);
    await createNamespace(client, ns);
    await applyObjects(client, [
      ...parseObjects(fixtures),
      keysSecret({ acme: `${sha('sk-acme-1')} ${sha('sk-acme-2')}` }),
      catalog(150000),
    ]);
    ({ controller } = await startReconcilers(kube));
  }, 240_000);

  afterAll(async () => {
    await controller.stop();
  });

  it('writes the digests of the Secret and the catalog of the ConfigMap into the Gateway config', async () => {
    await waitForBudgets({
      tenants: keys(['acme', 'sk-acme-1'], ['acme', 'sk-acme-2']),
      prices: priced(150000),
    });
    await waitForAccepted(client, gatewayConfigRef, 'True');
  });

  it('follows an edit of the Secret (a tenant added) and of the ConfigMap (a price changed)', async () => {
    await applyObjects(client, [keysSecret({ acme: sha('sk-acme-1'), globex: sha('sk-globex') })]);
    await waitForBudgets({
      tenants: keys(['acme', 'sk-acme-1'], ['globex', 'sk-globex']),
      prices: priced(150000),
    });
    await applyObjects(client, [catalog(200000)]);
    await waitForBudgets({
      tenants: keys(['acme', 'sk-acme-1'], ['globex', 'sk-globex']),
      prices: priced(200000),
    });
  });

  it('reports a model a route sends that the catalog does not price, and keeps the catalog', async () => {
    await applyObjects(client, [catalog(200000, 'gpt-4.1')]);
    const message = await waitForStatus('False', (m) => m.includes('has no price'));
    expect(message).toBe(
      `AIGatewayRoute ${ns}/chat: spec.rules[0].backendRefs[0]: model "gpt-4o-mini" on ${ns}/openai has no price in the price catalog (add it to prices.yaml's models, or set a default)`,
    );
    // The extproc refuses that model per request (403); the catalog itself is usable.
    await waitForBudgets({
      tenants: keys(['acme', 'sk-acme-1'], ['globex', 'sk-globex']),
      prices: priced(200000, 'gpt-4.1'),
    });
    await applyObjects(client, [catalog(200000)]);
    await waitForStatus('True', () => true);
  });

  it('refuses a raw key in the Secret without printing it, and leaves that entry out', async () => {
    const raw = 'sk-live-this-is-a-raw-client-key';
    await applyObjects(client, [keysSecret({ acme: raw, globex: sha('sk-globex') })]);
    const message = await waitForStatus('False', (m) => m.includes('SHA-256'));
    expect(message).toBe(
      `Secret ${ns}/client-keys: data[acme]: value 1 is not a SHA-256 digest (64 hex digits); store what \`aigw hash-key\` prints, never the key itself`,
    );
    expect(JSON.stringify(await readObject(client, gatewayConfigRef))).not.toContain(raw);
    await waitForBudgets({ tenants: keys(['globex', 'sk-globex']), prices: priced(200000) });
  });

  it('fails closed when the Secret is deleted: no keys (every request a 401) and a problem', async () => {
    await deleteObject(client, secretRef);
    const message = await waitForStatus('False', (m) => m.includes('not found'));
    expect(message).toBe(
      `GatewayConfig ${ns}/gwc: metadata.annotations[aigateway.envoyproxy.io/client-keys]: Secret ${ns}/client-keys not found`,
    );
    await waitForBudgets({ tenants: keys(), prices: priced(200000) });
  });

  it('fails closed when the catalog is gone or unlabelled: a catalog that prices nothing', async () => {
    await applyObjects(client, [keysSecret({ acme: sha('sk-acme-1') })]);
    await applyObjects(client, [
      {
        ...catalog(200000),
        metadata: { name: 'prices', namespace: ns, labels: { other: 'x' } },
      },
    ]);
    // A server-side apply that drops the label as the same manager removes it.
    const message = await waitForStatus('False', (m) => m.includes('ConfigMap'));
    expect(message).toBe(
      `GatewayConfig ${ns}/gwc: metadata.annotations[aigateway.envoyproxy.io/price-catalog]: ConfigMap ${ns}/prices not found (or not labelled aigateway.envoyproxy.io/price-catalog)`,
    );
    await waitForBudgets({
      tenants: keys(['acme', 'sk-acme-1']),
      prices: { currency: 'XXX', metadataKey: 'llm_cost', budgetUnit: 'micro', models: [] },
    });
    await applyObjects(client, [catalog(150000)]);
    await waitForBudgets({ tenants: keys(['acme', 'sk-acme-1']), prices: priced(150000) });
    await waitForStatus('True', () => true);
  });
});
