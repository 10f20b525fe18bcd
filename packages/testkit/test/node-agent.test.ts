import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  getFreePort,
  RespClient,
  startKubeApiServer,
  startNodeAgent,
  stopAll,
  waitFor,
  withLogsOnFailure,
  type KubeApiServer,
  type NodeAgent,
} from '../src/index.js';

// kube-apiserver and kube-controller-manager take 10–60 s each on a busy two-core machine.
const startTimeoutMs = 240_000;
const podTimeoutMs = 120_000;
const namespace = 'agent';

withLogsOnFailure();
afterAll(() => stopAll());

interface PodView {
  metadata: { name: string; uid: string; ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: ContainerStatusView[];
    initContainerStatuses?: ContainerStatusView[];
  };
}

interface ContainerStatusView {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: Record<string, { reason?: string; exitCode?: number }>;
  lastState?: Record<string, { exitCode?: number }>;
}

function isReady(pod: PodView): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function deployment(name: string, podSpec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
    },
  };
}

// A tiny HTTP app: /healthz, /file (the Secret volume's file, read at its mount path, which the
// agent rewrites in the args), /whoami (a SelfSubjectReview with the pod's own token).
const appScript = `
const http = require('node:http');
const https = require('node:https');
const fs = require('node:fs');
const sa = process.env.AIGW_SERVICE_ACCOUNT_DIR;
function whoami(res) {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  const req = https.request({
    host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT,
    path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', method: 'POST',
    ca: fs.readFileSync(sa + '/ca.crt'),
    headers: { authorization: 'Bearer ' + fs.readFileSync(sa + '/token', 'utf8'), 'content-type': 'application/json' },
  }, (answer) => { let text = ''; answer.on('data', (c) => { text += c; }); answer.on('end', () => res.end(text)); });
  req.on('error', (err) => res.end(String(err)));
  req.end(body);
}
http.createServer((req, res) => {
  if (req.url === '/healthz') return res.end('ok');
  if (req.url === '/file') return res.end(fs.readFileSync('/etc/greeting/hello', 'utf8') + '|' + process.env.FROM_SECRET + '|' + process.env.POD_NAME + '|' + ('VITEST' in process.env));
  if (req.url === '/whoami') return whoami(res);
  res.statusCode = 404; res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

describe('startNodeAgent', () => {
  let kube: KubeApiServer;
  let agent: NodeAgent;

  beforeAll(async () => {
    kube = await startKubeApiServer({ name: 'agent-kube', timeoutMs: startTimeoutMs });
    agent = await startNodeAgent(kube, {
      timeoutMs: startTimeoutMs,
      restartBackoff: { initialMs: 200, maxMs: 2_000 },
    });
    await kube.request('/api/v1/namespaces', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    });
  }, 2 * startTimeoutMs);

  afterAll(async () => {
    await agent.stop();
    await kube.stop();
  });

  async function podsOf(app: string): Promise<PodView[]> {
    const res = await kube.request(
      `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3D${app}`,
    );
    return (res.json() as { items: PodView[] }).items;
  }

  async function readyPod(app: string): Promise<PodView> {
    try {
      return await waitFor(async () => (await podsOf(app)).find(isReady), {
        timeoutMs: podTimeoutMs,
        intervalMs: 200,
        description: `a Ready pod of ${app}`,
      });
    } catch (err) {
      const pods = await podsOf(app);
      const logs = pods.map((pod) => agent.podLogs(namespace, pod.metadata.name)).join('\n');
      throw new Error(`${String(err)}\npods: ${JSON.stringify(pods, null, 1)}\nlogs: ${logs}`, {
        cause: err,
      });
    }
  }

  async function create(path: string, body: unknown): Promise<void> {
    const res = await kube.request(path, { method: 'POST', body });
    expect(res.status, res.body).toBe(201);
  }

  it('registers a Ready node', async () => {
    const node = (await kube.request(`/api/v1/nodes/${agent.nodeName}`)).json() as {
      status: { conditions: { type: string; status: string }[] };
    };
    expect(node.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    );
  });

  it(
    'runs a Deployment of redis: ReplicaSet and Pod from the controller manager, Ready, answering',
    async () => {
      const port = await getFreePort();
      await create(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        deployment('cache', {
          containers: [
            {
              name: 'redis',
              image: 'redis:7-alpine',
              args: ['--port', String(port), '--save', '', '--appendonly', 'no'],
              ports: [{ name: 'resp', containerPort: port }],
              readinessProbe: { tcpSocket: { port: 'resp' }, periodSeconds: 1 },
            },
          ],
        }),
      );
      const pod = await readyPod('cache');
      expect(pod.metadata.ownerReferences?.[0]?.kind).toBe('ReplicaSet');
      expect(pod.spec.nodeName).toBe(agent.nodeName);
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.containerStatuses).toEqual([
        expect.objectContaining({ name: 'redis', ready: true, restartCount: 0 }),
      ]);
      const client = await RespClient.connect({ host: '127.0.0.1', port });
      expect(await client.command('PING')).toBe('PONG');
      await client.close();
    },
    podTimeoutMs + 10_000,
  );

  it(
    'materialises a Secret volume and env, and gives the pod its ServiceAccount token',
    async () => {
      const port = await getFreePort();
      await create(`/api/v1/namespaces/${namespace}/serviceaccounts`, {
        metadata: { name: 'reader' },
      });
      await create(`/api/v1/namespaces/${namespace}/secrets`, {
        metadata: { name: 'greeting' },
        stringData: { hello: 'hällo', other: 'from-env' },
      });
      await create(
        `/apis/apps/v1/namespaces/${namespace}/deployments`,
        deployment('app', {
          serviceAccountName: 'reader',
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: 'app',
              image: 'node:24-slim',
              command: ['node', '-e', appScript],
              env: [
                { name: 'PORT', value: String(port) },
                {
                  name: 'FROM_SECRET',
                  valueFrom: { secretKeyRef: { name: 'greeting', key: 'other' } },
                },
                { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              ],
              volumeMounts: [{ name: 'greeting', mountPath: '/etc/greeting', readOnly: true }],
              readinessProbe: { httpGet: { path: '/healthz', port }, periodSeconds: 1 },
            },
          ],
          volumes: [{ name: 'greeting', secret: { secretName: 'greeting' } }],
        }),
      );
      const pod = await readyPod('app');
      const base = `http://127.0.0.1:${String(port)}`;
      expect(await (await fetch(`${base}/file`)).text()).toBe(
        `hällo|from-env|${pod.metadata.name}|false`, // nothing of the runner's env
      );
      const review = (await (await fetch(`${base}/whoami`)).json()) as {
        status: { userInfo: { username: string; extra?: Record<string, string[]> } };
      };
      expect(review.status.userInfo.username).toBe(`system:serviceaccount:${namespace}:reader`);
      // Bound to the pod, as a kubelet-requested token is.
      expect(review.status.userInfo.extra?.['authentication.kubernetes.io/pod-name']).toEqual([
        pod.metadata.name,
      ]);

      // Deleting the Deployment cascades (garbage collector) to the pod; the agent stops the process.
      const pids = Object.values(agent.pids(namespace, pod.metadata.name));
      expect(pids).toHaveLength(1);
      const res = await kube.request(`/apis/apps/v1/namespaces/${namespace}/deployments/app`, {
        method: 'DELETE',
        body: { propagationPolicy: 'Foreground' },
      });
      expect(res.status, res.body).toBeLessThan(300);
      await waitFor(async () => (await podsOf('app')).length === 0, {
        timeoutMs: podTimeoutMs,
        intervalMs: 200,
        description: 'the pods of the deleted Deployment to go',
      });
      for (const pid of pids) {
        expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      }
      await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    },
    2 * podTimeoutMs + 10_000,
  );

  it(
    'runs init containers, then a native sidecar, then the containers; restarts a crashing one',
    async () => {
      const [sidecarPort, mainPort] = [await getFreePort(), await getFreePort()];
      const serve = (port: number, text: string): string =>
        `require('node:http').createServer((q, s) => s.end(${text})).listen(${String(port)}, '127.0.0.1')`;
      await create(`/api/v1/namespaces/${namespace}/pods`, {
        metadata: { name: 'layered', labels: { app: 'layered' } },
        spec: {
          terminationGracePeriodSeconds: 2,
          initContainers: [
            {
              name: 'prepare',
              image: 'node:24',
              command: ['node', '-e', "require('fs').writeFileSync('/work/ready', 'prepared')"],
              volumeMounts: [{ name: 'work', mountPath: '/work' }],
            },
            {
              name: 'sidecar',
              image: 'node:24',
              restartPolicy: 'Always',
              command: ['node', '-e', serve(sidecarPort, "'sidecar'")],
              startupProbe: {
                tcpSocket: { port: sidecarPort },
                periodSeconds: 1,
                failureThreshold: 30,
              },
            },
          ],
          containers: [
            {
              name: 'main',
              image: 'node:24',
              command: [
                'node',
                '-e',
                serve(mainPort, "require('fs').readFileSync('/work/ready', 'utf8')"),
              ],
              volumeMounts: [{ name: 'work', mountPath: '/work' }],
              readinessProbe: { httpGet: { port: mainPort, path: '/' }, periodSeconds: 1 },
            },
            {
              name: 'crasher',
              image: 'node:24',
              command: ['node', '-e', 'process.exit(3)'],
              // Never ready, even in the moment it runs: the pod's Ready is then deterministic.
              readinessProbe: { exec: { command: ['false'] }, periodSeconds: 1 },
            },
          ],
          volumes: [{ name: 'work', emptyDir: {} }],
        },
      });
      const pod = await waitFor(
        async () => {
          const [found] = await podsOf('layered');
          const crasher = found?.status?.containerStatuses?.find((c) => c.name === 'crasher');
          const main = found?.status?.containerStatuses?.find((c) => c.name === 'main');
          return main?.ready === true && (crasher?.restartCount ?? 0) >= 2 ? found : undefined;
        },
        {
          timeoutMs: podTimeoutMs,
          intervalMs: 200,
          description: 'main ready and crasher restarted twice',
        },
      );
      expect(await (await fetch(`http://127.0.0.1:${String(mainPort)}/`)).text()).toBe('prepared');
      expect(await (await fetch(`http://127.0.0.1:${String(sidecarPort)}/`)).text()).toBe(
        'sidecar',
      );
      const crasher = pod.status?.containerStatuses?.find((c) => c.name === 'crasher');
      expect(crasher?.lastState?.['terminated']?.exitCode).toBe(3);
      expect(isReady(pod)).toBe(false); // one container never becomes ready
      const [prepare, sidecar] = pod.status?.initContainerStatuses ?? [];
      expect(prepare?.name).toBe('prepare');
      expect(prepare?.state['terminated']).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(sidecar).toMatchObject({ name: 'sidecar', started: true, ready: true });
      const pids = Object.values(agent.pids(namespace, 'layered'));
      expect(pids.length).toBeGreaterThanOrEqual(2);
      await kube.request(`/api/v1/namespaces/${namespace}/pods/layered`, { method: 'DELETE' });
      await waitFor(async () => (await podsOf('layered')).length === 0, {
        timeoutMs: podTimeoutMs,
        intervalMs: 200,
        description: 'the deleted pod to be finalised',
      });
      for (const pid of pids) {
        expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      }
    },
    2 * podTimeoutMs + 10_000,
  );

  it(
    'rewrites a Secret volume atomically when the Secret changes',
    async () => {
      const port = await getFreePort();
      await create(`/api/v1/namespaces/${namespace}/secrets`, {
        metadata: { name: 'rotating' },
        stringData: { value: 'one' },
      });
      const script = `require('node:http').createServer((q, s) => s.end(require('fs').readFileSync('/etc/rotating/value', 'utf8'))).listen(${String(port)}, '127.0.0.1')`;
      await create(`/api/v1/namespaces/${namespace}/pods`, {
        metadata: { name: 'rotating', labels: { app: 'rotating' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'node:24',
              command: ['node', '-e', script],
              volumeMounts: [{ name: 'secret', mountPath: '/etc/rotating' }],
              readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
            },
          ],
          volumes: [{ name: 'secret', secret: { secretName: 'rotating' } }],
        },
      });
      await readyPod('rotating');
      const url = `http://127.0.0.1:${String(port)}/`;
      expect(await (await fetch(url)).text()).toBe('one');
      const res = await kube.request(`/api/v1/namespaces/${namespace}/secrets/rotating`, {
        method: 'PATCH',
        body: { stringData: { value: 'two' } },
        contentType: 'application/merge-patch+json',
      });
      expect(res.status, res.body).toBe(200);
      await waitFor(async () => (await (await fetch(url)).text()) === 'two', {
        timeoutMs: podTimeoutMs,
        description: 'the changed Secret to reach the volume',
      });
    },
    podTimeoutMs + 10_000,
  );

  it(
    'runs one of our images as its app (aigw-ratelimit → apps/ratelimit/dist/bin.js), gRPC-probed',
    async () => {
      const port = await getFreePort();
      await create(`/api/v1/namespaces/${namespace}/pods`, {
        metadata: { name: 'ratelimit', labels: { app: 'ratelimit' } },
        spec: {
          containers: [
            {
              name: 'ratelimit',
              image: 'ghcr.io/example/aigw-ratelimit:v0.1.0',
              args: [`--address=127.0.0.1:${String(port)}`, '--log-level=$(LEVEL)'],
              env: [{ name: 'LEVEL', value: 'info' }],
              readinessProbe: { grpc: { port }, periodSeconds: 1 },
            },
          ],
        },
      });
      const pod = await readyPod('ratelimit');
      expect(pod.status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 0 });
      expect(agent.podLogs(namespace, 'ratelimit')).toMatch(/"level":30/);
    },
    podTimeoutMs + 10_000,
  );

  it('stops every pod process, the controller manager and the Node on stop()', async () => {
    const pids = [
      ...Object.values(agent.pids(namespace, (await podsOf('cache'))[0]?.metadata.name ?? '')),
      ...Object.values(agent.pids(namespace, 'rotating')),
    ];
    expect(pids).toHaveLength(2);
    const controllerManager = agent.controllerManager?.pid ?? -1;
    await agent.stop();
    for (const pid of [...pids, controllerManager]) {
      expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    }
    expect((await kube.request(`/api/v1/nodes/${agent.nodeName}`)).status).toBe(404);
  });
});
