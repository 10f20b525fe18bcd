import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestkitError } from './errors.js';
import { findRepoRoot } from './find-repo-root.js';
import { getFreePort } from './get-free-port.js';
import { spawnManaged, type ManagedProcess } from './spawn-managed.js';
import { isExecutableFile, which } from './which.js';

/** The collector `scripts/build-otelcol.sh` builds (OTLP receiver, file exporter). */
const binaryName = 'otelcol-aigw';

/**
 * Locates the OpenTelemetry Collector of the tests: `OTELCOL_BIN`, then `.tools/bin/otelcol-aigw`
 * (built by `scripts/bootstrap.sh --test`), then `PATH`.
 *
 * @throws TestkitError `binary-not-found`.
 */
export function findOtelCollector(): string {
  const fromEnv = process.env.OTELCOL_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isExecutableFile(fromEnv)) {
      throw new TestkitError(
        'binary-not-found',
        `OTELCOL_BIN=${fromEnv} is not an executable file`,
      );
    }
    return fromEnv;
  }
  const root = findRepoRoot();
  const cached = root === undefined ? undefined : join(root, '.tools', 'bin', binaryName);
  const found = cached !== undefined && isExecutableFile(cached) ? cached : which(binaryName);
  if (found === undefined) {
    throw new TestkitError(
      'binary-not-found',
      `${binaryName} not found: set OTELCOL_BIN, or run \`bash scripts/bootstrap.sh --test\` (builds it into .tools/bin)`,
    );
  }
  return found;
}

/**
 * The export requests of a file the collector may be writing: only lines already ended by a
 * newline (a read while it writes sees the last one half-written).
 */
function completeLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A running collector: where to send OTLP, and what its file exporter wrote. */
export interface OtelCollector {
  /** `http://127.0.0.1:<port>` of the OTLP/gRPC receiver. */
  readonly grpcEndpoint: string;
  /** `http://127.0.0.1:<port>` of the OTLP/HTTP receiver (the exporters add `/v1/<signal>`). */
  readonly httpEndpoint: string;
  /**
   * Every line the file exporter has finished writing so far, parsed: OTLP/JSON export requests
   * (`{resourceMetrics: …}` or `{resourceSpans: …}`).
   */
  readonly exports: () => Record<string, unknown>[];
  readonly proc: ManagedProcess;
  readonly stop: () => Promise<void>;
}

/**
 * Starts the collector with an OTLP receiver (gRPC and HTTP, on free ports) whose metrics and
 * traces go to the file exporter (`<dir>/otel.jsonl`, one OTLP/JSON export request per line,
 * flushed at once).
 */
export async function startOtelCollector(options: {
  readonly dir: string;
}): Promise<OtelCollector> {
  const bin = findOtelCollector();
  const grpcPort = await getFreePort();
  const httpPort = await getFreePort();
  const output = join(options.dir, 'otel.jsonl');
  const config = join(options.dir, 'otelcol.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      receivers: {
        otlp: {
          protocols: {
            grpc: { endpoint: `127.0.0.1:${String(grpcPort)}` },
            http: { endpoint: `127.0.0.1:${String(httpPort)}` },
          },
        },
      },
      exporters: { file: { path: output, flush_interval: '100ms' } },
      service: {
        telemetry: { metrics: { level: 'none' }, logs: { level: 'warn' } },
        pipelines: {
          metrics: { receivers: ['otlp'], exporters: ['file'] },
          traces: { receivers: ['otlp'], exporters: ['file'] },
        },
      },
    }),
  );
  const proc = await spawnManaged(bin, ['--config', config], { name: 'otelcol' });
  const httpEndpoint = `http://127.0.0.1:${String(httpPort)}`;
  await proc.untilReady(
    async () => {
      try {
        // The receiver answers a GET on a signal path with 405: it is listening.
        const response = await fetch(`${httpEndpoint}/v1/metrics`);
        await response.body?.cancel();
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 30_000, description: 'the collector OTLP/HTTP receiver' },
  );
  return {
    grpcEndpoint: `http://127.0.0.1:${String(grpcPort)}`,
    httpEndpoint,
    exports: () => completeLines(output),
    proc,
    stop: () => proc.stop(),
  };
}
