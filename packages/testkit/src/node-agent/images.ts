import { join } from 'node:path';

import { findBinary } from '../find-binary.js';
import { findRepoRoot } from '../find-repo-root.js';
import { findEnvoyGateway } from '../start-envoy-gateway.js';

/** What runs in place of an image: the program of its ENTRYPOINT and where to start it. */
export interface ImageProgram {
  /** Program and leading arguments that stand for the image's ENTRYPOINT. */
  readonly entrypoint: readonly string[];
  /** The image's CMD: the arguments used when the container gives neither `command` nor `args`. */
  readonly defaultArgs?: readonly string[];
  /** Working directory (default: the pod's directory). */
  readonly cwd?: string;
  /**
   * Programs a container's `command[0]` may name, by base name (`envoy`, `node`), mapped to a
   * local program. A `command[0]` not listed is looked up on PATH.
   */
  readonly programs?: Readonly<Record<string, string>>;
}

/** Maps image references to local programs; the first rule whose `match` accepts the image wins. */
export interface ImageRule {
  /** Tested against the whole image reference, e.g. `docker.io/envoyproxy/envoy:distroless-v1.36.2`. */
  readonly match: RegExp;
  /** The local stand-in; gets the `match` result (capture groups) and the image. */
  readonly program: (match: RegExpExecArray, image: string) => ImageProgram;
}

/** The apps the repository builds images for (docs/images.md), as `aigw-<app>` or `aigw` (the CLI). */
export const appImages = [
  'controller',
  'webhook',
  'extension-server',
  'ratelimit',
  'extproc',
] as const;

/**
 * The built-in rules: `envoyproxy/envoy…` → the bootstrap's Envoy (`ENVOY_BIN`),
 * `envoyproxy/gateway[-dev]` → Envoy Gateway (`ENVOY_GATEWAY_BIN`), `redis…` →
 * `redis-server` (`REDIS_SERVER_BIN`), our images `aigw-<app>` (and `aigw`, the CLI) → `node
 * apps/<app>/dist/bin.js` (build the app first), `node…` → this Node.
 */
export function defaultImageRules(): readonly ImageRule[] {
  const node = process.execPath;
  return [
    {
      match: /(?:^|\/)envoy(?:-[a-z]+)?(?::|@|$)/,
      program: () => {
        const envoy = findBinary('envoy');
        return {
          entrypoint: [envoy],
          defaultArgs: ['-c', '/etc/envoy/envoy.yaml'],
          programs: { envoy },
        };
      },
    },
    {
      // Envoy Gateway's image: its proxy pods run `envoy-gateway envoy shutdown-manager` from it.
      // `envoyproxy/gateway:v1.8.1`, or `envoyproxy/gateway-dev:latest` from a source build.
      match: /(?:^|\/)envoyproxy\/gateway(?:-dev)?(?::|@|$)/,
      program: () => {
        const eg = findEnvoyGateway();
        return { entrypoint: [eg], defaultArgs: ['server'], programs: { 'envoy-gateway': eg } };
      },
    },
    {
      match: /(?:^|\/)redis(?::|@|$)/,
      program: () => {
        const redis = findBinary('redis-server');
        return { entrypoint: [redis], programs: { 'redis-server': redis } };
      },
    },
    {
      match: new RegExp(`(?:^|/)aigw(?:-(${appImages.join('|')}))?(?::|@|$)`),
      program: (match) => {
        const app = match[1] ?? 'aigw';
        const dir = join(findRepoRoot() ?? process.cwd(), 'apps', app);
        return { entrypoint: [node, join(dir, 'dist', 'bin.js')], cwd: dir, programs: { node } };
      },
    },
    {
      match: /(?:^|\/)node(?::|@|$)/,
      program: () => ({ entrypoint: [node], programs: { node } }),
    },
  ];
}

/** The program for `image` under `rules`, or `undefined` when no rule matches. */
export function programFor(image: string, rules: readonly ImageRule[]): ImageProgram | undefined {
  for (const rule of rules) {
    const match = rule.match.exec(image);
    if (match !== null) {
      return rule.program(match, image);
    }
  }
  return undefined;
}
