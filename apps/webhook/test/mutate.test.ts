import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSecretNames } from '@aigw/gateway-config';
import {
  getFreePort,
  kubeconfigYaml,
  parsePrometheusText,
  removeTempDir,
  tempDir,
  useHarness,
  waitFor,
  withLogsOnFailure,
  type KubeApiServer,
} from '@aigw/testkit';
import { createCertificate } from '../src/tls/x509.js';
import {
  aiRoute,
  applyWebhookCrds,
  create,
  gatewayObject,
  httpsJson,
  kubeOk,
  proxyLabels,
  proxyPod,
  startWebhook,
  webhookConfiguration,
  type WebhookProcess,
} from './support/webhook-kit.js';

// The webhook as a real process serving certificate files (the cert-manager install), called by
// a real kube-apiserver through a MutatingWebhookConfiguration: what is stored for each kind of
// pod, idempotency, certificate rotation without a restart, and the bad-input table.

withLogsOnFailure();
const harness = useHarness();

const proxyNs = 'envoy-gateway-system';
const aiGateway = { namespace: 'team-a', name: 'ai-gw' };
const plainGateway = { namespace: 'team-a', name: 'plain-gw' };
const configuredGateway = { namespace: 'team-b', name: 'configured-gw' };
const brokenGateway = { namespace: 'team-b', name: 'broken-gw' };

type Json = Record<string, unknown>;
type Container = Json & { name: string; volumeMounts?: Json[] };
interface StoredPod {
  metadata: Json;
  spec: Json & { containers: Container[]; initContainers?: Container[]; volumes?: Json[] };
}

function certificates(now: Date, caKey?: ReturnType<typeof createCertificate>) {
  const ca =
    caKey ?? createCertificate({ commonName: 'test-webhook-ca', now, validDays: 2, isCa: true });
  const leaf = createCertificate({
    commonName: '127.0.0.1',
    now,
    validDays: 1,
    isCa: false,
    sans: ['127.0.0.1'],
    issuer: { commonName: 'test-webhook-ca', key: ca.key },
  });
  return { ca, leaf };
}

describe('the webhook behind a real kube-apiserver', { timeout: 120_000 }, () => {
  let kube: KubeApiServer;
  let dir: string;
  let webhook: WebhookProcess;
  let ca: ReturnType<typeof createCertificate>;

  async function createPod(pod: Json): Promise<StoredPod> {
    const ns = String((pod['metadata'] as Json)['namespace']);
    return (await create(kube, `/api/v1/namespaces/${ns}/pods`, pod)) as unknown as StoredPod;
  }

  beforeAll(async () => {
    kube = await harness.kube();
    dir = tempDir('webhook-mutate');
    const certs = certificates(new Date());
    ca = certs.ca;
    writeFileSync(join(dir, 'tls.crt'), certs.leaf.certPem);
    writeFileSync(join(dir, 'tls.key'), certs.leaf.keyPem);
    await applyWebhookCrds(kube);
    for (const ns of [proxyNs, 'team-a', 'team-b']) {
      await create(kube, '/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns },
      });
    }
    for (const gw of [aiGateway, plainGateway]) {
      await create(
        kube,
        `/apis/gateway.networking.k8s.io/v1/namespaces/${gw.namespace}/gateways`,
        gatewayObject(gw.namespace, gw.name),
      );
    }
    await create(
      kube,
      '/apis/gateway.networking.k8s.io/v1/namespaces/team-b/gateways',
      gatewayObject('team-b', configuredGateway.name, 'extproc-settings'),
    );
    await create(
      kube,
      '/apis/gateway.networking.k8s.io/v1/namespaces/team-b/gateways',
      gatewayObject('team-b', brokenGateway.name, 'missing'),
    );
    await create(kube, '/apis/aigateway.envoyproxy.io/v1beta1/namespaces/team-b/gatewayconfigs', {
      apiVersion: 'aigateway.envoyproxy.io/v1beta1',
      kind: 'GatewayConfig',
      metadata: { name: 'extproc-settings', namespace: 'team-b' },
      spec: {
        extProc: {
          kubernetes: {
            image: 'registry.test/aigw-extproc:custom',
            env: [{ name: 'OTEL_SERVICE_NAME', value: 'ai-gateway' }],
            resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
          },
        },
      },
    });
    for (const [gw, route] of [
      [aiGateway, 'chat'],
      [configuredGateway, 'chat-b'],
      [brokenGateway, 'chat-broken'],
    ] as const) {
      await create(
        kube,
        `/apis/aigateway.envoyproxy.io/v1beta1/namespaces/${gw.namespace}/aigatewayroutes`,
        aiRoute(gw.namespace, route, gw.name),
      );
    }
    webhook = await startWebhook({
      name: 'webhook',
      args: [
        `--cert-dir=${dir}`,
        '--cert-poll-ms=100',
        `--kubeconfig=${kube.kubeconfigPath}`,
        '--extproc-image=aigw-extproc:test',
        '--extproc-env=AIGW_EXAMPLE=1',
      ],
    });
    await create(
      kube,
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
      webhookConfiguration('aigw-webhook', webhook.url, ca.certPem),
    );
  });

  afterAll(async () => {
    await webhook.proc.stop();
    await removeTempDir(dir);
  });

  describe('injection', () => {
    it('stores a proxy pod of a Gateway with AI routes with the native sidecar, its volumes and mounts', async () => {
      const stored = await createPod(
        proxyPod({ name: 'ai-0', namespace: proxyNs, gateway: aiGateway }),
      );
      const [index, ...parts] = configSecretNames({
        gatewayNamespace: 'team-a',
        gatewayName: 'ai-gw',
      });
      expect(stored.spec.containers.map((c) => c.name)).toEqual(['envoy', 'shutdown-manager']);
      expect(stored.spec.initContainers?.map((c) => c.name)).toEqual(['ai-gateway-extproc']);
      const sidecar = stored.spec.initContainers?.[0];
      expect(sidecar).toMatchObject({
        image: 'aigw-extproc:test',
        imagePullPolicy: 'IfNotPresent',
        restartPolicy: 'Always',
        args: [
          '--address=unix:/etc/ai-gateway-extproc-uds/run.sock',
          '--config=/etc/filter-config-bundle',
          `--config-secret=${String(index)}`,
          `--config-namespace=${proxyNs}`,
          '--log-level=info',
          '--log-format=json',
          '--admin-port=1064',
        ],
        ports: [{ name: 'aigw-admin', containerPort: 1064, protocol: 'TCP' }],
        env: [
          { name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' },
          { name: 'AIGW_EXAMPLE', value: '1' },
        ],
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsGroup: 65532,
          runAsNonRoot: true,
          runAsUser: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        readinessProbe: {
          httpGet: { path: '/health', port: 1064, scheme: 'HTTP' },
          initialDelaySeconds: 2,
          timeoutSeconds: 5,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 1,
        },
      });
      expect(sidecar?.volumeMounts).toEqual([
        { name: 'ai-gateway-extproc-uds', mountPath: '/etc/ai-gateway-extproc-uds' },
        {
          name: 'ai-gateway-extproc-config',
          mountPath: '/etc/filter-config-bundle',
          readOnly: true,
        },
        {
          name: 'ai-gateway-extproc-token',
          mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
          readOnly: true,
        },
      ]);
      expect(stored.spec.containers[0]?.volumeMounts).toEqual([
        { name: 'certs', mountPath: '/certs', readOnly: true },
        { name: 'ai-gateway-extproc-uds', mountPath: '/etc/ai-gateway-extproc-uds' },
      ]);
      expect(stored.spec.containers[1]?.volumeMounts).toBeUndefined();
      expect(stored.spec.volumes).toEqual([
        { name: 'certs', secret: { secretName: 'envoy', defaultMode: 420 } },
        { name: 'ai-gateway-extproc-uds', emptyDir: {} },
        {
          name: 'ai-gateway-extproc-config',
          projected: {
            defaultMode: 420,
            sources: [
              {
                secret: {
                  name: index,
                  items: [{ key: 'index.yaml', path: 'index.yaml' }],
                  optional: true,
                },
              },
              ...parts.slice(0, 8).map((name, i) => ({
                secret: {
                  name,
                  items: [{ key: 'chunk', path: `parts/00${String(i)}` }],
                  optional: true,
                },
              })),
            ],
          },
        },
        {
          name: 'ai-gateway-extproc-token',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { path: 'token', expirationSeconds: 3607 } },
              {
                configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
              },
              {
                downwardAPI: {
                  items: [
                    {
                      path: 'namespace',
                      fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' },
                    },
                  ],
                },
              },
            ],
          },
        },
      ]);
    });

    it('stores a proxy pod of a Gateway without AI routes unchanged', async () => {
      const pod = proxyPod({ name: 'plain-0', namespace: proxyNs, gateway: plainGateway });
      const stored = await createPod(pod);
      expect(stored.spec.initContainers).toBeUndefined();
      expect(stored.spec.containers.map((c) => c.name)).toEqual(['envoy', 'shutdown-manager']);
      expect(stored.spec.containers[0]?.volumeMounts).toEqual([
        { name: 'certs', mountPath: '/certs', readOnly: true },
      ]);
      expect(stored.spec.volumes?.map((v) => v['name'])).toEqual(['certs']);
    });

    it('changes nothing when an already-injected pod is admitted again', async () => {
      const first = await createPod(
        proxyPod({ name: 'ai-1', namespace: proxyNs, gateway: aiGateway }),
      );
      // The stored spec (defaults included) as a new pod: what a re-admission of the pod sees.
      const again = await createPod({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'ai-1-again', namespace: proxyNs, labels: first.metadata['labels'] },
        spec: first.spec,
      });
      expect(again.spec).toEqual(first.spec);
    });

    it("takes the image, env and resources from the Gateway's GatewayConfig", async () => {
      const stored = await createPod(
        proxyPod({ name: 'b-0', namespace: proxyNs, gateway: configuredGateway }),
      );
      expect(stored.spec.initContainers?.[0]).toMatchObject({
        image: 'registry.test/aigw-extproc:custom',
        env: [
          { name: 'NODE_OPTIONS', value: '--max-semi-space-size=1' },
          { name: 'AIGW_EXAMPLE', value: '1' },
          { name: 'OTEL_SERVICE_NAME', value: 'ai-gateway' },
        ],
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
      });
    });

    it('denies the pod when its Gateway names a GatewayConfig that does not exist', async () => {
      const res = await kube.request(`/api/v1/namespaces/${proxyNs}/pods`, {
        method: 'POST',
        body: proxyPod({ name: 'broken-0', namespace: proxyNs, gateway: brokenGateway }),
      });
      expect(res.status).toBe(422);
      expect(res.body).toContain(
        'admission webhook \\"pods.aigw-webhook.aigateway.envoyproxy.io\\" denied the request: Gateway team-b/broken-gw names GatewayConfig team-b/missing',
      );
    });
  });

  describe('certificate rotation', () => {
    it('serves new certificate files to the next admission without a restart', async () => {
      const pid = webhook.proc.pid;
      const before = await httpsJson(`${webhook.url}/healthz`, { ca: ca.certPem });
      const { leaf } = certificates(new Date(), ca);
      // Key first, then the certificate: the half-written pair in between is not served.
      writeFileSync(join(dir, 'tls.key'), leaf.keyPem);
      writeFileSync(join(dir, 'tls.crt'), leaf.certPem);
      const rotated = await waitFor(
        async () => {
          const now = await httpsJson(`${webhook.url}/healthz`, { ca: ca.certPem });
          return now.peer.serialNumber !== before.peer.serialNumber ? now.peer : undefined;
        },
        {
          timeoutMs: 10_000,
          intervalMs: 50,
          description: 'the webhook to serve the new certificate',
        },
      );
      expect(rotated.fingerprint256).toBe(
        new (await import('node:crypto')).X509Certificate(leaf.certPem).fingerprint256,
      );
      const stored = await createPod(
        proxyPod({ name: 'ai-after-rotation', namespace: proxyNs, gateway: aiGateway }),
      );
      expect(stored.spec.initContainers?.map((c) => c.name)).toEqual(['ai-gateway-extproc']);
      expect(webhook.proc.pid).toBe(pid);
      const metrics = await httpsJson(`${webhook.url}/metrics`, { ca: ca.certPem });
      const families = await parsePrometheusText(metrics.body);
      const reloads = families.find((f) => f.name === 'aigw_webhook_certificate_reloads');
      expect(reloads?.type).toBe('counter');
      expect(reloads?.samples.find((x) => x.name.endsWith('_total'))?.value).toBe(1);
    });
  });

  describe('bad input', () => {
    const post = async (body: string, contentType?: string) =>
      httpsJson(`${webhook.url}/mutate`, {
        ca: ca.certPem,
        method: 'POST',
        body,
        ...(contentType ? { contentType } : {}),
      });
    const review = (request: Json, apiVersion = 'admission.k8s.io/v1') =>
      JSON.stringify({ apiVersion, kind: 'AdmissionReview', request });
    const podRequest = (object: unknown, overrides: Json = {}): Json => ({
      uid: 'b6c3-test',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: proxyNs,
      operation: 'CREATE',
      object,
      ...overrides,
    });

    it.each(
      [
        [
          'a body that is not JSON',
          '{"apiVersion": ',
          undefined,
          /Unexpected end of JSON input|Body is not valid JSON/,
        ],
        [
          'a JSON body that is not an object',
          '[1, 2]',
          undefined,
          /the body is not an AdmissionReview/,
        ],
        ['a body of another content type', 'apiVersion: v1', 'text/yaml', /Unsupported Media Type/],
        [
          'an AdmissionReview of another API version',
          review(podRequest({}), 'admission.k8s.io/v1beta1'),
          undefined,
          /unsupported apiVersion "admission.k8s.io\/v1beta1": this webhook speaks admission.k8s.io\/v1/,
        ],
        [
          'another kind',
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'ConversionReview',
            request: { uid: 'x' },
          }),
          undefined,
          /unsupported kind "ConversionReview"/,
        ],
        [
          'an AdmissionReview without request.uid',
          review({ operation: 'CREATE' }),
          undefined,
          /has no request.uid/,
        ],
      ].map(([title, body, contentType, message]) => ({ title, body, contentType, message })),
    )('$title → HTTP 4xx with a message', async ({ body, contentType, message }) => {
      const res = await post(String(body), contentType as string | undefined);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect((res.json() as { message: string }).message).toMatch(message as RegExp);
    });

    it.each(
      [
        [
          'a request missing its resource',
          { ...podRequest({}), resource: undefined },
          400,
          /malformed AdmissionReview request: .*resource/,
        ],
        [
          'a Pod without containers',
          podRequest({ metadata: { labels: {} }, spec: { containers: [] } }),
          400,
          /request.object is not a valid Pod: .*a pod needs at least one container/,
        ],
        [
          'a Pod whose spec is not an object',
          podRequest({ metadata: {}, spec: 'x' }),
          400,
          /request.object is not a valid Pod: .*spec/,
        ],
        [
          'a Pod whose labels are not strings',
          podRequest({ metadata: { labels: { a: 1 } }, spec: { containers: [{ name: 'envoy' }] } }),
          400,
          /request.object is not a valid Pod: .*labels/,
        ],
        [
          'an UPDATE',
          podRequest({}, { operation: 'UPDATE' }),
          400,
          /handles pod CREATE only, got UPDATE v1\/pods/,
        ],
        [
          'another resource',
          podRequest({}, { resource: { group: 'apps', version: 'v1', resource: 'deployments' } }),
          400,
          /got CREATE apps\/v1\/deployments/,
        ],
        [
          'a proxy pod without an envoy container',
          podRequest({
            metadata: { labels: proxyLabels('team-a', 'ai-gw') },
            spec: { containers: [{ name: 'proxy' }] },
          }),
          400,
          /no container named "envoy"/,
        ],
      ].map(([title, request, code, message]) => ({
        title,
        request: request as Json,
        code,
        message: message as RegExp,
      })),
    )('$title → allowed: false, code $code, a message', async ({ request, code, message }) => {
      const res = await post(review(request));
      expect(res.status).toBe(200);
      const { response } = res.json() as {
        response: {
          uid: string;
          allowed: boolean;
          status: { code: number; message: string };
          patch?: string;
        };
      };
      expect(response.uid).toBe(request['uid']);
      expect(response.allowed).toBe(false);
      expect(response.patch).toBeUndefined();
      expect(response.status.code).toBe(code);
      expect(response.status.message).toMatch(message);
    });

    it('denies a proxy pod when the cluster state cannot be read (no silent allow)', async () => {
      const closedPort = await getFreePort();
      const kubeconfig = join(dir, 'unreachable-kubeconfig');
      writeFileSync(
        kubeconfig,
        kubeconfigYaml({
          url: `https://127.0.0.1:${String(closedPort)}`,
          token: kube.token,
          caPem: kube.caPem,
        }),
      );
      const cut = await startWebhook({
        name: 'webhook-no-api',
        args: [`--cert-dir=${dir}`, `--kubeconfig=${kubeconfig}`, '--api-timeout-ms=2000'],
      });
      try {
        const res = await httpsJson(`${cut.url}/mutate`, {
          ca: ca.certPem,
          method: 'POST',
          body: review(
            podRequest(proxyPod({ name: 'ai-x', namespace: proxyNs, gateway: aiGateway })),
          ),
        });
        const { response } = res.json() as {
          response: { allowed: boolean; status: { code: number; message: string } };
        };
        expect(response.allowed).toBe(false);
        expect(response.status.code).toBe(503);
        expect(response.status.message).toMatch(
          /^cannot read AIGatewayRoutes: GET \/apis\/aigateway.envoyproxy.io\/v1beta1\/aigatewayroutes: connect ECONNREFUSED/,
        );
        // A pod that is not a Gateway proxy needs no cluster state: admitted as it is.
        const plain = await httpsJson(`${cut.url}/mutate`, {
          ca: ca.certPem,
          method: 'POST',
          body: review(
            podRequest({ metadata: { name: 'web' }, spec: { containers: [{ name: 'web' }] } }),
          ),
        });
        expect(plain.json()).toEqual({
          apiVersion: 'admission.k8s.io/v1',
          kind: 'AdmissionReview',
          response: { uid: 'b6c3-test', allowed: true },
        });
      } finally {
        await cut.proc.stop();
      }
    });

    it('counts every outcome in /metrics', async () => {
      const metrics = await httpsJson(`${webhook.url}/metrics`, { ca: ca.certPem });
      // Read by Prometheus's reference parser.
      const families = await parsePrometheusText(metrics.body);
      const admissions = families.find((f) => f.name === 'aigw_webhook_admissions');
      expect(admissions?.type).toBe('counter');
      for (const outcome of [
        'injected',
        'no_ai_routes',
        'already_injected',
        'denied',
        'bad_request',
      ]) {
        const count = admissions?.samples.find(
          (x) => x.name === 'aigw_webhook_admissions_total' && x.labels.outcome === outcome,
        )?.value;
        expect(count, outcome).toBeGreaterThanOrEqual(1);
      }
    });
  });

  it('stores nothing when the pod is not labelled as an Envoy Gateway proxy', async () => {
    const stored = await createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'web',
        namespace: 'team-a',
        labels: { 'app.kubernetes.io/managed-by': 'envoy-gateway' },
      },
      spec: { containers: [{ name: 'envoy', image: 'envoy' }] },
    });
    expect(stored.spec.initContainers).toBeUndefined();
    expect(stored.spec.volumes).toBeUndefined();
    const json = await kubeOk(kube, `/api/v1/namespaces/team-a/pods/web`);
    expect((json['spec'] as Json)['containers']).toHaveLength(1);
  });
});
