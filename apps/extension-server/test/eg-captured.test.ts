import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { egExtension } from '@aigw/proto';
import { describe, expect, it } from 'vitest';

import { FileRouteStore } from '../src/file-routes.js';
import { postEndpointsModify } from '../src/hooks/post-endpoints-modify.js';
import { postTranslateModify } from '../src/hooks/post-translate-modify.js';
import { readable } from './support/readable.js';

/**
 * Golden tests on what a real Envoy Gateway v1.8.1 sent for testdata/eg-v1.8.1/input.yaml
 * (regenerate with `pnpm --filter @aigw/extension-server capture:eg`, see the README there).
 */
const dir = join(import.meta.dirname, 'testdata', 'eg-v1.8.1');
const routes = new FileRouteStore([join(dir, 'input.yaml')]);
const captures = readdirSync(dir).filter((f) => f.endsWith('.request.pb'));
const translateCapture = 'post-translate-modify.request.pb';
const endpointCaptures = captures.filter((f) => f.startsWith('post-endpoints-modify.'));

const json = (value: unknown): string => `${JSON.stringify(readable(value), null, 2)}\n`;

describe('hooks on xDS captured from Envoy Gateway v1.8.1', () => {
  it('has the captures', () => {
    expect(captures).toContain(translateCapture);
    expect(endpointCaptures.length).toBeGreaterThan(0);
  });

  it.each(captures)('%s decodes and re-encodes to the same size (nothing dropped)', (file) => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    const codec = file.startsWith('post-translate-modify')
      ? egExtension.PostTranslateModifyRequest
      : egExtension.PostEndpointsModifyRequest;
    const decoded = codec.decode(bytes) as never;
    const again = codec.encode(decoded).finish();
    // Go's marshalling orders map entries freely, so compare sizes and the decoded values.
    expect(again.length).toBe(bytes.length);
    expect(codec.decode(again)).toEqual(decoded);
  });

  it('keeps the fields Envoy Gateway sends that our protos lack (direct response body_format)', () => {
    const request = egExtension.PostTranslateModifyRequest.decode(
      new Uint8Array(readFileSync(join(dir, translateCapture))),
    );
    const notFound = request.routes
      .flatMap((c) => c.virtualHosts)
      .flatMap((v) => v.routes)
      .find((r) => r.action?.$case === 'directResponse');
    const action = notFound?.action?.$case === 'directResponse' ? notFound.action.value : undefined;
    // DirectResponseAction.body_format (field 3, length-delimited: tag 26), newer than our copy.
    const unknown = action?._unknownFields?.[26]?.[0];
    expect(unknown).toBeDefined();
    const response = postTranslateModify(request, { routes, udsPath: '/run/x.sock' });
    const encoded = Buffer.from(egExtension.PostTranslateModifyResponse.encode(response).finish());
    expect(encoded.includes(Buffer.from(unknown ?? []))).toBe(true);
  });

  it('PostTranslateModify matches its golden', async () => {
    const request = egExtension.PostTranslateModifyRequest.decode(
      readFileSync(join(dir, translateCapture)),
    );
    const response = postTranslateModify(request, {
      routes,
      udsPath: '/etc/ai-gateway-extproc-uds/run.sock',
    });
    await expect(json(response)).toMatchFileSnapshot(join(dir, 'post-translate-modify.out.json'));
  });

  it.each(endpointCaptures)('%s matches its golden', async (file) => {
    const request = egExtension.PostEndpointsModifyRequest.decode(readFileSync(join(dir, file)));
    const response = postEndpointsModify(request, routes);
    await expect(json(response)).toMatchFileSnapshot(
      join(dir, file.replace('.request.pb', '.out.json')),
    );
  });
});
