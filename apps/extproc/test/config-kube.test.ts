import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { toConfigBundle, type FilterConfigInput } from '@aigw/filterapi';
import { configSecretNames, configSecrets, type ConfigSecret } from '@aigw/gateway-config';
import { extProc, health } from '@aigw/proto';
import {
  jsonLogLines,
  kubeRequest,
  removeTempDir,
  spawnManaged,
  TcpProxy,
  tempDir,
  useHarness,
  waitFor,
  withLogsOnFailure,
  type KubeApiServer,
  type ManagedProcess,
} from '@aigw/testkit';
import {
  commonOf,
  envoy,
  ProcessStream,
  requestIdOf,
  setHeadersOf,
} from './support/ext-proc-harness.js';
import { bundleFiles, ProjectedVolume } from './support/projected-volume.js';

// The extproc as it runs in Kubernetes: a real process (from src, through tsx) that reads its
// config bundle from a real kube-apiserver as a service account that may read only its own
// Gateway's config Secrets, reached through a TCP proxy the test can cut.

const harness = useHarness();
withLogsOnFailure();

const appDir = fileURLToPath(new URL('..', import.meta.url));
const namespace = 'envoy-gateway-system';
const gateway = { gatewayNamespace: 'team-a', gatewayName: 'gw' };
const backendName = 'team-a/openai/route/chat/rule/0/ref/0';
const indexName = configSecretNames(gateway)[0] ?? '';
/** Secrets that must never appear in a log line. */
const keys = { first: 'sk-first-0f1e2d3c4b5a69788796', rotated: 'sk-rotated-a1b2c3d4e5f60718' };

/** A config routing gpt-a to `cluster`, whose backend authenticates with `key` inlined. */
const configOf = (cluster: string, key: string): FilterConfigInput => ({
  version: 'v1',
  routes: { rules: [{ models: ['gpt-a'], cluster }] },
  backends: [{ name: backendName, schema: { name: 'OpenAI' }, auth: { apiKey: { key } } }],
});

describe('extproc config from the API server (--config-secret)', { timeout: 60_000 }, () => {
  let kube: KubeApiServer;
  let proxy: TcpProxy;
  let dir: string;
  let kubeconfig: string;
  let extprocToken: string;
  const clients: extProc.ExternalProcessorClient[] = [];

  async function api(path: string, method: 'POST' | 'PUT' | 'DELETE', body?: unknown) {
    const res = await kube.request(path, { method, ...(body === undefined ? {} : { body }) });
    if (res.status >= 300 && !(method === 'DELETE' && res.status === 404)) {
      throw new Error(`${method} ${path}: ${String(res.status)} ${res.body}`);
    }
    return res;
  }

  const secretsPath = `/api/v1/namespaces/${namespace}/secrets`;

  /** Creates or replaces `secret` (a PUT of a Secret without resourceVersion is an update). */
  async function put(secret: ConfigSecret): Promise<void> {
    const res = await kube.request(`${secretsPath}/${secret.metadata.name}`, {
      method: 'PUT',
      body: secret,
    });
    if (res.status === 404) await api(secretsPath, 'POST', secret);
    else if (res.status >= 300) throw new Error(`PUT ${secret.metadata.name}: ${res.body}`);
  }

  /** Writes a Gateway config the way the controller does: parts, index, then unused slots go. */
  async function publish(config: FilterConfigInput): Promise<string> {
    const result = configSecrets({ ...gateway, secretNamespace: namespace, filterConfig: config });
    for (const secret of result.secrets) await put(secret);
    for (const name of result.unusedPartNames) await api(`${secretsPath}/${name}`, 'DELETE');
    return result.uuid;
  }

  /**
   * Starts an extproc on the Secrets with a mounted copy: `mounted` (a file or a bundle
   * directory), else a file routing gpt-a to `mounted-copy`.
   */
  async function startExtproc(
    name: string,
    mountedPath?: string,
  ): Promise<{ proc: ManagedProcess; client: extProc.ExternalProcessorClient }> {
    const socket = join(dir, `${name}.sock`);
    let mounted = mountedPath;
    if (mounted === undefined) {
      mounted = join(dir, `${name}-mounted.json`);
      writeFileSync(mounted, JSON.stringify(configOf('mounted-copy', 'sk-mounted')));
    }
    const proc = await spawnManaged(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@aigw/source',
        'src/bin.ts',
        `--address=unix:${socket}`,
        `--config-secret=${indexName}`,
        `--config-namespace=${namespace}`,
        `--kubeconfig=${kubeconfig}`,
        `--config=${mounted}`,
        '--log-level=debug',
      ],
      { name, cwd: appDir, logLimit: 4_000_000 },
    );
    const client = new extProc.ExternalProcessorClient(
      `unix:${socket}`,
      credentials.createInsecure(),
    );
    clients.push(client);
    return { proc, client };
  }

  /** The cluster gpt-a routes to and the key sent upstream, for one request; undefined while not ready. */
  async function served(
    client: extProc.ExternalProcessorClient,
  ): Promise<{ cluster: string | undefined; authorization: string | undefined }> {
    const router = new ProcessStream(client.process());
    const id = requestIdOf(await router.send(envoy.post('/v1/chat/completions')));
    const routed = await router.send(envoy.requestBody({ model: 'gpt-a', messages: [] }));
    const cluster = setHeadersOf(commonOf(routed, 'requestBody').headerMutation)['x-ai-eg-cluster'];
    const upstream = new ProcessStream(client.process());
    const attempt = await upstream.send(
      envoy.upstreamHeaders(
        { ':path': '/v1/chat/completions', 'x-ai-eg-internal-req-id': id },
        backendName,
      ),
    );
    upstream.end();
    router.end();
    await Promise.all([upstream.status, router.status]);
    const set = setHeadersOf(commonOf(attempt, 'requestHeaders').headerMutation);
    return { cluster, authorization: set.authorization };
  }

  async function untilServed(
    client: extProc.ExternalProcessorClient,
    expected: { cluster: string; authorization?: string },
    description: string,
  ): Promise<void> {
    await waitFor(
      async () => {
        const now = await served(client);
        return (
          now.cluster === expected.cluster &&
          (expected.authorization === undefined || now.authorization === expected.authorization)
        );
      },
      { timeoutMs: 30_000, intervalMs: 20, description },
    );
  }

  /** The gRPC health of the extproc on `socket` (the overall status, service ''). */
  async function healthOf(socket: string): Promise<health.HealthCheckResponse_ServingStatus> {
    const client = new health.HealthClient(`unix:${socket}`, credentials.createInsecure());
    try {
      return await new Promise((resolve, reject) => {
        client.check({ service: '' }, (err, response) => {
          if (err) reject(err);
          else resolve(response.status);
        });
      });
    } finally {
      client.close();
    }
  }

  /** The JSON log lines of `proc` whose message starts with `msg`. */
  const logLines = (proc: ManagedProcess, msg: string): Record<string, unknown>[] =>
    jsonLogLines(proc, msg);

  beforeAll(async () => {
    kube = await harness.kube();
    dir = tempDir('extproc-kube');
    proxy = new TcpProxy({ host: '127.0.0.1', port: Number(new URL(kube.url).port) });
    await proxy.up();
    // The extproc's identity: a service account whose Role lists the Gateway's config Secrets
    // by name (get/list/watch), bound in the Envoy namespace; its token from the TokenRequest API.
    await api('/api/v1/namespaces', 'POST', { metadata: { name: namespace } });
    await api(`/api/v1/namespaces/${namespace}/serviceaccounts`, 'POST', {
      metadata: { name: 'extproc' },
    });
    await api(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, 'POST', {
      metadata: { name: 'extproc-config' },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          verbs: ['get', 'list', 'watch'],
          resourceNames: configSecretNames(gateway),
        },
      ],
    });
    await api(`/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, 'POST', {
      metadata: { name: 'extproc-config' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extproc-config' },
      subjects: [{ kind: 'ServiceAccount', name: 'extproc', namespace }],
    });
    const tokenRequest = await api(
      `/api/v1/namespaces/${namespace}/serviceaccounts/extproc/token`,
      'POST',
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
    );
    extprocToken = (tokenRequest.json() as { status: { token: string } }).status.token;
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'test',
            cluster: {
              server: `https://127.0.0.1:${String(proxy.port)}`,
              'certificate-authority-data': Buffer.from(kube.caPem).toString('base64'),
            },
          },
        ],
        users: [{ name: 'extproc', user: { token: extprocToken } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'extproc' } }],
        'current-context': 'test',
      }),
    );
    await api(secretsPath, 'POST', {
      metadata: { name: 'someone-elses-secret' },
      stringData: { apiKey: 'not for the extproc' },
    });
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await proxy.down();
    await removeTempDir(dir);
  });

  it('may read its own config Secrets and no other (Role with resourceNames)', async () => {
    const asExtproc = async (path: string): Promise<number> =>
      (await kubeRequest({ url: kube.url, caPem: kube.caPem, token: extprocToken }, path)).status;
    const own = await asExtproc(
      `${secretsPath}?fieldSelector=${encodeURIComponent(`metadata.name=${indexName}`)}`,
    );
    expect(own).toBe(200);
    expect(await asExtproc(`${secretsPath}/someone-elses-secret`)).toBe(403);
    expect(await asExtproc(secretsPath)).toBe(403);
  });

  let first: { proc: ManagedProcess; client: extProc.ExternalProcessorClient };
  let fresh: { proc: ManagedProcess; client: extProc.ExternalProcessorClient };

  it('serves the mounted copy at once, then the config from the Secrets, and each new write within a watch event', async () => {
    const uuid1 = await publish(configOf('c1', keys.first));
    first = await startExtproc('extproc-1');
    await untilServed(first.client, { cluster: 'c1', authorization: `Bearer ${keys.first}` }, 'c1');
    // The mounted copy is read before the API server's list answers, then replaced.
    expect(logLines(first.proc, 'config loaded')).toEqual([
      expect.objectContaining({ path: join(dir, 'extproc-1-mounted.json') }),
    ]);
    const source = `secret ${namespace}/${indexName}`;
    // The log line follows the swap it reports.
    const untilReloaded = (count: number) =>
      waitFor(() => logLines(first.proc, 'config reloaded').length >= count, {
        timeoutMs: 10_000,
        description: `${String(count)} config reloaded lines`,
      });
    await untilReloaded(1);
    expect(logLines(first.proc, 'config reloaded')).toEqual([
      expect.objectContaining({ uuid: uuid1, source }),
    ]);
    const uuid2 = await publish(configOf('c2', keys.first));
    await untilServed(first.client, { cluster: 'c2' }, 'c2 after the write');
    await untilReloaded(2);
    expect(logLines(first.proc, 'config reloaded')).toEqual([
      expect.objectContaining({ uuid: uuid1, source }),
      expect.objectContaining({ uuid: uuid2, source }),
    ]);
  });

  it('rotates an inline credential without a restart', async () => {
    await publish(configOf('c2', keys.rotated));
    await untilServed(
      first.client,
      { cluster: 'c2', authorization: `Bearer ${keys.rotated}` },
      'the rotated key sent upstream',
    );
  });

  it('keeps the last good config when a part is corrupt or missing, and says so once', async () => {
    const good = configSecrets({
      ...gateway,
      secretNamespace: namespace,
      filterConfig: configOf('c3', keys.rotated),
    });
    const [part, index] = good.secrets;
    if (!part || !index) throw new Error('expected a part and an index');
    // The new index with a part of the right size but other bytes: the checksum fails.
    const bytes = Buffer.from(part.data.chunk ?? '', 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 0x20;
    await put({ ...part, data: { chunk: bytes.toString('base64') } });
    await put(index);
    await waitFor(() => logLines(first.proc, 'config bundle rejected').length === 1, {
      timeoutMs: 30_000,
      description: 'the bad bundle reported',
    });
    const [rejected] = logLines(first.proc, 'config bundle rejected');
    expect((rejected?.err as { code?: string } | undefined)?.code).toBe('checksum_mismatch');
    expect((await served(first.client)).cluster).toBe('c2');
    await api(`${secretsPath}/${part.metadata.name}`, 'DELETE');
    await waitFor(() => logLines(first.proc, 'config bundle rejected').length === 2, {
      timeoutMs: 30_000,
      description: 'the missing part reported',
    });
    expect((await served(first.client)).cluster).toBe('c2');
    // Repaired: the parts come back and the config applies.
    await publish(configOf('c3', keys.rotated));
    await untilServed(first.client, { cluster: 'c3' }, 'c3 once the bundle is whole again');
  });

  it('keeps serving while the API server is unreachable, and catches up when it is back', async () => {
    await proxy.down();
    await waitFor(
      () =>
        logLines(
          first.proc,
          'cannot watch the config Secrets; keeping the config in force and retrying',
        ).length > 0,
      { timeoutMs: 30_000, description: 'the lost watch reported' },
    );
    await publish(configOf('c4', keys.rotated));
    expect((await served(first.client)).cluster).toBe('c3');
    await proxy.up();
    await untilServed(first.client, { cluster: 'c4' }, 'c4 after the API server is back');
  });

  it('starts from the mounted copy when the API server is down, then takes the API config', async () => {
    await proxy.down();
    fresh = await startExtproc('extproc-2');
    await untilServed(fresh.client, { cluster: 'mounted-copy' }, 'the mounted copy served');
    await proxy.up();
    await untilServed(fresh.client, { cluster: 'c4' }, 'the API config once reachable');
  });

  let mountedBundle: { proc: ManagedProcess; client: extProc.ExternalProcessorClient };

  it('starts from a mounted bundle directory with the API server unreachable, follows its updates, then takes the API config', async () => {
    await proxy.down();
    // The Envoy pod's projected volume: the index Secret and the part Secrets, as the kubelet
    // writes them (..data swaps).
    const volume = new ProjectedVolume(join(dir, 'extproc-3-bundle'));
    const bundleOf = (cluster: string) =>
      toConfigBundle(JSON.stringify(configOf(cluster, 'sk-mounted')), gateway);
    volume.write(bundleFiles(bundleOf('mounted-bundle-1')));
    mountedBundle = await startExtproc('extproc-3', volume.dir);
    await untilServed(mountedBundle.client, { cluster: 'mounted-bundle-1' }, 'the bundle served');
    expect(await healthOf(join(dir, 'extproc-3.sock'))).toBe(
      health.HealthCheckResponse_ServingStatus.SERVING,
    );
    volume.write(bundleFiles(bundleOf('mounted-bundle-2')));
    await untilServed(
      mountedBundle.client,
      { cluster: 'mounted-bundle-2' },
      'the updated volume served while the API server is down',
    );
    await proxy.up();
    await untilServed(mountedBundle.client, { cluster: 'c4' }, 'the API config once reachable');
    // From now on the API server is the source: a later volume update (lagging) is not read.
    volume.write(bundleFiles(bundleOf('mounted-bundle-3')));
    await publish(configOf('c5', keys.rotated));
    await untilServed(mountedBundle.client, { cluster: 'c5' }, 'the next API config');
    const fromVolume = logLines(mountedBundle.proc, 'config').filter(
      (line) => line.path === volume.dir,
    );
    expect(fromVolume.map((line) => line.msg)).toEqual(['config loaded', 'config reloaded']);
  });

  it('never writes a credential to its logs', () => {
    for (const proc of [first.proc, fresh.proc, mountedBundle.proc]) {
      const logs = proc.logTail(1_000_000);
      expect(logs).toContain('config reloaded');
      for (const key of Object.values(keys)) expect(logs).not.toContain(key);
      expect(logs).not.toContain(Buffer.from(keys.first).toString('base64'));
    }
  });
});
