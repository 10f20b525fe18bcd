/**
 * Regenerates the Envoy Gateway captures in test/testdata/eg-v1.8.1/ (the golden tests' inputs):
 *
 *   pnpm --filter @aigw/extension-server capture:eg     # needs envoy-gateway (bootstrap --test)
 *
 * Translates input.yaml as `aigw translate` does, gives the Gateway API objects to a real Envoy
 * Gateway (File provider, Host infrastructure) and records the raw bytes of every hook request it
 * sends to a recording extension server, which answers with the xDS unchanged. Stops after the
 * first PostTranslateModify (Envoy Gateway calls the endpoint hooks of a translation before it).
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { loadResources, manifestsToYaml, translateToKubernetes } from '@aigw/gateway-config';
import { egExtension } from '@aigw/proto';
import { getFreePort, startEnvoyGateway, tempDir, waitFor } from '@aigw/testkit';

const here = join(import.meta.dirname, 'testdata', 'eg-v1.8.1');
const envoyGatewayKinds = new Set([
  'GatewayClass',
  'Gateway',
  'HTTPRoute',
  'HTTPRouteFilter',
  'Backend',
  'EnvoyProxy',
]);

/** The objects Envoy Gateway reads, without the owner references it refuses outside a cluster. */
function envoyGatewayInput(): string {
  const path = join(here, 'input.yaml');
  const resources = loadResources([{ path, text: readFileSync(path, 'utf8') }], {
    target: 'kubernetes',
  });
  const objects = translateToKubernetes(resources)
    .filter((o) => envoyGatewayKinds.has((o as { kind: string }).kind))
    .map((o) => {
      const metadata = { ...(o as { metadata: Record<string, unknown> }).metadata };
      delete metadata.ownerReferences;
      return { ...o, metadata };
    });
  return manifestsToYaml(objects);
}

const fileName = (hook: string, resource: string): string =>
  `${hook}${resource === '' ? '' : `.${resource.replaceAll('/', '_')}`}.request.pb`;

async function main(): Promise<void> {
  for (const f of readdirSync(here).filter((f) => f.endsWith('.pb'))) rmSync(join(here, f));
  const captured = new Map<string, Buffer>();
  const server = new Server();
  const d = egExtension.EnvoyGatewayExtensionService;
  const raw = { requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b };
  server.addService(
    {
      postTranslateModify: { ...d.postTranslateModify, ...raw },
      postEndpointsModify: { ...d.postEndpointsModify, ...raw },
      postClusterModify: { ...d.postClusterModify, ...raw },
      postRouteModify: { ...d.postRouteModify, ...raw },
    },
    {
      postTranslateModify: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        captured.set(fileName('post-translate-modify', ''), call.request);
        const r = egExtension.PostTranslateModifyRequest.decode(call.request);
        const response = {
          clusters: r.clusters,
          secrets: r.secrets,
          listeners: r.listeners,
          routes: r.routes,
        };
        cb(
          null,
          Buffer.from(
            egExtension.PostTranslateModifyResponse.encode({
              ...response,
              _unknownFields: {},
            }).finish(),
          ),
        );
      },
      postEndpointsModify: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        const r = egExtension.PostEndpointsModifyRequest.decode(call.request);
        captured.set(
          fileName('post-endpoints-modify', r.loadAssignment?.clusterName ?? ''),
          call.request,
        );
        cb(
          null,
          Buffer.from(
            egExtension.PostEndpointsModifyResponse.encode({
              loadAssignment: r.loadAssignment,
              _unknownFields: {},
            }).finish(),
          ),
        );
      },
      postClusterModify: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        const r = egExtension.PostClusterModifyRequest.decode(call.request);
        captured.set(fileName('post-cluster-modify', r.cluster?.name ?? ''), call.request);
        cb(
          null,
          Buffer.from(
            egExtension.PostClusterModifyResponse.encode({
              cluster: r.cluster,
              _unknownFields: {},
            }).finish(),
          ),
        );
      },
      postRouteModify: (call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>) => {
        const r = egExtension.PostRouteModifyRequest.decode(call.request);
        captured.set(fileName('post-route-modify', r.route?.name ?? ''), call.request);
        cb(
          null,
          Buffer.from(
            egExtension.PostRouteModifyResponse.encode({
              route: r.route,
              _unknownFields: {},
            }).finish(),
          ),
        );
      },
    },
  );
  const port = await getFreePort();
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${String(port)}`, ServerCredentials.createInsecure(), (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  const resourcesDir = tempDir('eg-capture');
  writeFileSync(join(resourcesDir, 'gateway.yaml'), envoyGatewayInput());
  const eg = await startEnvoyGateway({
    resourcesDir,
    extensionServer: { host: '127.0.0.1', port },
  });
  try {
    await waitFor(() => captured.has(fileName('post-translate-modify', '')), {
      timeoutMs: 120_000,
      description: 'Envoy Gateway to call PostTranslateModify',
    });
  } finally {
    await eg.stop();
    server.forceShutdown();
  }
  mkdirSync(here, { recursive: true });
  for (const [name, bytes] of [...captured].sort()) {
    writeFileSync(join(here, name), bytes);
    console.log(`${name}: ${String(bytes.length)} bytes`);
  }
}

await main();
