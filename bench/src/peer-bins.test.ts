import { describe, expect, it } from 'vitest';
import { peerBins } from './peer-bins.js';

describe('peerBins', () => {
  it('finds the peers under .tools/peers by default', () => {
    expect(peerBins('/repo', {})).toEqual({
      portkey: '/repo/.tools/peers/portkey/node_modules/@portkey-ai/gateway/build/start-server.js',
      litellm: '/repo/.tools/peers/litellm/bin/litellm',
      ratelimit: '/repo/.tools/peers/bin/ratelimit',
    });
  });

  it('takes each peer from its variable, and ignores an empty one', () => {
    const bins = peerBins('/repo', {
      PORTKEY_GATEWAY_BIN: '/opt/portkey/start-server.js',
      LITELLM_BIN: '',
      ENVOY_RATELIMIT_BIN: '/usr/local/bin/ratelimit',
    });
    expect(bins).toEqual({
      portkey: '/opt/portkey/start-server.js',
      litellm: '/repo/.tools/peers/litellm/bin/litellm',
      ratelimit: '/usr/local/bin/ratelimit',
    });
  });
});
