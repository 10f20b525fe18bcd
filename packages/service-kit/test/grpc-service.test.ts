import { writeFileSync } from 'node:fs';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { health } from '@aigw/proto';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGrpcService, type GrpcService } from '../src/grpc-service.js';

const { SERVING, NOT_SERVING } = health.HealthCheckResponse_ServingStatus;
const log = pino({ level: 'silent' });

function check(client: health.HealthClient, service: string): Promise<health.HealthCheckResponse> {
  return new Promise((resolve, reject) => {
    client.check({ service }, (err, response) => {
      if (err) reject(err);
      else resolve(response);
    });
  });
}

describe('startGrpcService health', () => {
  let service: GrpcService | undefined;
  let client: health.HealthClient | undefined;
  afterEach(async () => {
    client?.close();
    await service?.close();
  });

  it('reports the server and named services SERVING, and unknown services NOT_FOUND', async () => {
    service = await startGrpcService({
      address: '127.0.0.1:0',
      log,
      healthServices: ['demo.v1.Demo'],
    });
    client = new health.HealthClient(service.bound.address, credentials.createInsecure());
    expect((await check(client, '')).status).toBe(SERVING);
    expect((await check(client, 'demo.v1.Demo')).status).toBe(SERVING);
    const err = await check(client, 'nope').catch((e: unknown) => e as ServiceError);
    expect(err).toMatchObject({ code: status.NOT_FOUND });
  });

  it('streams status changes to watchers, ending with NOT_SERVING on shutdown', async () => {
    service = await startGrpcService({ address: '127.0.0.1:0', log });
    client = new health.HealthClient(service.bound.address, credentials.createInsecure());
    const seen: health.HealthCheckResponse_ServingStatus[] = [];
    const call = client.watch({ service: '' });
    const ended = new Promise<void>((resolve) => {
      call.on('data', (response: health.HealthCheckResponse) => {
        seen.push(response.status);
        if (response.status === NOT_SERVING) resolve();
      });
      call.on('error', () => {
        resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    service.health.shutdown();
    await ended;
    call.cancel();
    expect(seen).toEqual([SERVING, NOT_SERVING]);
  });

  it('binds a Unix socket, replacing a stale socket file from an earlier run', async () => {
    const path = `/tmp/aigw-sk-${String(process.pid)}.sock`;
    writeFileSync(path, 'left behind by a crashed process');
    service = await startGrpcService({ address: `unix://${path}`, log });
    expect(service.bound).toEqual({ address: `unix:${path}`, port: 0 });
    client = new health.HealthClient(`unix:${path}`, credentials.createInsecure());
    expect((await check(client, '')).status).toBe(SERVING);
  });
});
