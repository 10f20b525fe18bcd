import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { credentials, type ServiceError } from '@grpc/grpc-js';
import { egExtension } from '@aigw/proto';
import type { GrpcService } from '@aigw/service-kit';
import { getFreePort } from '@aigw/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { main } from '../src/main.js';
import { chatRoute, egLikeRequest } from './support/eg-like.js';

/** The extension server as its binary runs it, with `--metrics-port`: Prometheus and probes. */
describe('extension server metrics and probes (--metrics-port)', () => {
  let service: GrpcService;
  let client: egExtension.EnvoyGatewayExtensionClient;
  let metricsUrl: string;
  const dir = mkdtempSync(join(tmpdir(), 'aigw-es-metrics-'));

  beforeAll(async () => {
    const routes = join(dir, 'routes.yaml');
    writeFileSync(routes, stringify(chatRoute()));
    const port = await getFreePort();
    metricsUrl = `http://127.0.0.1:${String(port)}`;
    service = await main({
      argv: [
        '--routes',
        routes,
        '--address',
        '127.0.0.1:0',
        '--metrics-port',
        String(port),
        '--log-level',
        'fatal',
      ],
      env: {},
    });
    client = new egExtension.EnvoyGatewayExtensionClient(
      service.bound.address,
      credentials.createInsecure(),
    );
  });

  afterAll(async () => {
    client.close();
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const translate = (request: egExtension.PostTranslateModifyRequest): Promise<unknown> =>
    new Promise((resolve, reject) => {
      client.postTranslateModify(request, (err: ServiceError | null, res) => {
        if (err) reject(err);
        else resolve(res);
      });
    });

  it('is ready once the routes were read, and live', async () => {
    expect((await fetch(`${metricsUrl}/readyz`)).status).toBe(200);
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
  });

  it('counts hook calls by hook and result, with their durations, and the routes it knows', async () => {
    await translate(egLikeRequest());
    await translate(egLikeRequest());
    // A request the hook refuses (a listener whose HCM cannot be decoded) is counted as an error.
    await expect(
      translate({
        ...egLikeRequest(),
        listeners: [
          {
            ...egLikeRequest().listeners[0]!,
            filterChains: [
              {
                filters: [
                  {
                    name: 'envoy.filters.network.http_connection_manager',
                    configType: {
                      $case: 'typedConfig',
                      value: {
                        typeUrl:
                          'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                        value: Buffer.from([0xff, 0xff, 0xff]),
                      },
                    },
                  },
                ],
              },
            ],
          },
        ],
      } as egExtension.PostTranslateModifyRequest),
    ).rejects.toThrow();
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain(
      'aigw_extension_server_hook_calls_total{hook="PostTranslateModify",result="ok"} 2',
    );
    expect(text).toContain(
      'aigw_extension_server_hook_calls_total{hook="PostTranslateModify",result="error"} 1',
    );
    expect(text).toContain(
      'aigw_extension_server_hook_duration_seconds_count{hook="PostTranslateModify"} 3',
    );
    expect(text).toContain('aigw_extension_server_ai_gateway_routes 1');
    expect(text).toContain('aigw_extension_server_routes_synced 1');
    expect(text).toMatch(/^aigw_extension_server_process_resident_memory_bytes \d+/m);
  });
});
