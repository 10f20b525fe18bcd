import { loadKubeConfigFile, type KubeConfig } from '@aigw/kube-config';
import type { KubeApiServer } from '@aigw/testkit';
import { createLogger, type Logger } from '@aigw/service-kit/core';
import { KubeClient } from '../../src/runtime/kube-client.js';

/** A silent logger (set AIGW_TEST_LOG=debug to see the controller's logs). */
export function testLogger(): Logger {
  // eslint-disable-next-line no-restricted-properties -- test-only switch for debugging
  const level = process.env['AIGW_TEST_LOG'] === 'debug' ? 'debug' : 'silent';
  return createLogger({ name: 'controller-test', level, format: 'json' });
}

/** The test API server's kubeconfig, optionally pointed at another address (a TCP proxy). */
export function kubeConfigFor(kube: KubeApiServer, options: { port?: number } = {}): KubeConfig {
  const config = loadKubeConfigFile(kube.kubeconfigPath);
  if (options.port === undefined) return config;
  const server = new URL(kube.url);
  server.port = String(options.port);
  return config.withServer(server.origin);
}

/** A client for the test's own reads and writes. */
export function testClient(kube: KubeApiServer): KubeClient {
  return new KubeClient(kubeConfigFor(kube));
}

/** A core/v1 Secret with string data. */
export function secret(
  namespace: string,
  name: string,
  data: Record<string, string>,
): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: data };
}

/** Creates a namespace. */
export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  await client.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  });
}

/**
 * Compacts etcd at its current revision, so any resourceVersion seen before is too old for a
 * watch served from etcd (start the API server with `--watch-cache=false`).
 */
export async function compactEtcd(etcdUrl: string): Promise<void> {
  const post = async (path: string, body: object): Promise<Record<string, unknown>> => {
    const response = await fetch(`${etcdUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`etcd ${path}: HTTP ${String(response.status)}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const range = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  const revision = (range['header'] as { revision?: string } | undefined)?.revision;
  if (!revision) throw new Error('etcd: no revision in range answer');
  await post('/v3/kv/compaction', { revision, physical: true });
}
