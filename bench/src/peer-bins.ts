/**
 * Where `pnpm bench --peers` finds each peer: the environment variable when set (a peer installed
 * elsewhere; bench/scripts/install-peers.sh then skips it), else the git-ignored `.tools/peers/`
 * that the script fills from the registries.
 */
import { join } from 'node:path';

/** The peers' entry points. */
export interface PeerBins {
  /** Portkey's gateway: its package's `build/start-server.js`, run with this Node. */
  readonly portkey: string;
  /** LiteLLM's proxy CLI (`litellm`, from the venv the script makes). */
  readonly litellm: string;
  /** envoyproxy/ratelimit's `service_cmd` binary. */
  readonly ratelimit: string;
}

/** The environment variable that overrides each peer (also read by install-peers.sh). */
export const peerBinEnv: Readonly<Record<keyof PeerBins, string>> = {
  portkey: 'PORTKEY_GATEWAY_BIN',
  litellm: 'LITELLM_BIN',
  ratelimit: 'ENVOY_RATELIMIT_BIN',
};

/** The peers' paths: each from its variable when set and not empty, else under `.tools/peers`. */
export function peerBins(
  root: string,
  env: Readonly<Record<string, string | undefined>>,
): PeerBins {
  const peers = join(root, '.tools', 'peers');
  const from = (name: keyof PeerBins, fallback: string): string => {
    const value = env[peerBinEnv[name]];
    return value === undefined || value === '' ? fallback : value;
  };
  return {
    portkey: from(
      'portkey',
      join(peers, 'portkey', 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js'),
    ),
    litellm: from('litellm', join(peers, 'litellm', 'bin', 'litellm')),
    ratelimit: from('ratelimit', join(peers, 'bin', 'ratelimit')),
  };
}
