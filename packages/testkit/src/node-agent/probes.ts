import { execFile } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as tcpConnect } from 'node:net';

import { podIp } from './downward.js';
import type { LaunchPlan } from './launch.js';
import type { Container, Probe } from './types.js';

/** Runs one probe attempt; resolves true on success. Never rejects. */
export async function probeOnce(
  probe: Probe,
  at: { container: Container; plan: LaunchPlan },
): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet !== undefined) {
      return await httpProbe(probe.httpGet, { container: at.container, timeoutMs });
    }
    if (probe.tcpSocket !== undefined) {
      const port = portOf(probe.tcpSocket.port, at.container);
      return await tcpProbe(probe.tcpSocket.host ?? podIp, port, timeoutMs);
    }
    if (probe.grpc !== undefined) {
      return await grpcProbe(probe.grpc, timeoutMs);
    }
    if (probe.exec !== undefined) {
      return await execProbe(probe.exec.command ?? [], { plan: at.plan, timeoutMs });
    }
  } catch {
    return false;
  }
  return false;
}

/** A named port resolves through the container's `ports`. */
function portOf(port: number | string, container: Container): number {
  if (typeof port === 'number') {
    return port;
  }
  const named = container.ports?.find((p) => p.name === port)?.containerPort;
  return named ?? Number(port);
}

function httpProbe(
  get: NonNullable<Probe['httpGet']>,
  at: { container: Container; timeoutMs: number },
): Promise<boolean> {
  const isHttps = get.scheme === 'HTTPS';
  const url = new URL(
    `${isHttps ? 'https' : 'http'}://${get.host ?? podIp}:${String(portOf(get.port, at.container))}`,
  );
  url.pathname = get.path ?? '/';
  const headers = Object.fromEntries((get.httpHeaders ?? []).map((h) => [h.name, h.value]));
  headers['user-agent'] ??= 'kube-probe/1.36';
  const send = isHttps ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    // Like the kubelet: HTTPS probes do not verify the certificate.
    const req = send(url, { headers, timeout: at.timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      resolve(status >= 200 && status < 400);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(false);
    });
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => socket.destroy());
    socket.once('error', () => {
      resolve(false);
    });
    socket.once('close', () => {
      resolve(false);
    });
  });
}

/** gRPC health `Check` over plain HTTP/2, encoded by hand (one string field, one enum field). */
function grpcProbe(grpc: NonNullable<Probe['grpc']>, timeoutMs: number): Promise<boolean> {
  const service = Buffer.from(grpc.service ?? '');
  const message =
    service.length === 0
      ? Buffer.alloc(0)
      : Buffer.concat([Buffer.from([0x0a, service.length]), service]);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  return new Promise((resolve) => {
    const session = http2Connect(`http://${podIp}:${String(grpc.port)}`);
    const done = (ok: boolean): void => {
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => {
      done(false);
    }, timeoutMs);
    session.on('error', () => {
      clearTimeout(timer);
      done(false);
    });
    const stream = session.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', () => {
      clearTimeout(timer);
      done(false);
    });
    stream.on('end', () => {
      clearTimeout(timer);
      // HealthCheckResponse { status = 1 (field 1, varint) }: SERVING is 1.
      const body = Buffer.concat(chunks).subarray(5);
      done(body.length >= 2 && body[0] === 0x08 && body[1] === 1);
    });
    stream.end(frame);
  });
}

function execProbe(
  command: readonly string[],
  at: { plan: LaunchPlan; timeoutMs: number },
): Promise<boolean> {
  const [file, ...args] = command;
  if (file === undefined) {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: { ...at.plan.env }, cwd: at.plan.cwd, timeout: at.timeoutMs },
      (err) => {
        resolve(err === null);
      },
    );
  });
}

/** Options for {@link Prober}. */
export interface ProberOptions {
  /** Upper bound on `periodSeconds` and `initialDelaySeconds` (ms), so tests do not wait 10 s. */
  readonly periodCapMs: number;
  /** Called with each new overall result (after the thresholds). */
  readonly onResult: (isSuccess: boolean) => void;
  /**
   * Keep the time a failing probe is allowed (`failureThreshold × periodSeconds`) although the
   * period is capped: the threshold grows by the same factor. For startup and liveness probes,
   * whose failure kills the container — a slow start (Envoy waiting for its first xDS) must not
   * be killed sooner than a kubelet would.
   */
  readonly isFailureWindowKept?: boolean;
}

/** Runs a probe on its period, applying success and failure thresholds, until stopped. */
export class Prober {
  readonly #probe: Probe;
  readonly #attempt: () => Promise<boolean>;
  readonly #options: ProberOptions;
  #timer: NodeJS.Timeout | undefined;
  #isStopped = false;
  #successes = 0;
  #failures = 0;
  #result: boolean | undefined;

  constructor(probe: Probe, attempt: () => Promise<boolean>, options: ProberOptions) {
    this.#probe = probe;
    this.#attempt = attempt;
    this.#options = options;
  }

  start(): void {
    const delayMs = Math.min(
      (this.#probe.initialDelaySeconds ?? 0) * 1000,
      this.#options.periodCapMs,
    );
    this.#timer = setTimeout(() => void this.#tick(), delayMs);
  }

  stop(): void {
    this.#isStopped = true;
    clearTimeout(this.#timer);
  }

  async #tick(): Promise<void> {
    const isSuccess = await this.#attempt();
    if (this.#isStopped) {
      return;
    }
    if (isSuccess) {
      this.#successes++;
      this.#failures = 0;
    } else {
      this.#failures++;
      this.#successes = 0;
    }
    const result = this.#judge(isSuccess);
    if (result !== undefined && result !== this.#result) {
      this.#result = result;
      this.#options.onResult(result);
    }
    const periodMs = Math.min((this.#probe.periodSeconds ?? 10) * 1000, this.#options.periodCapMs);
    this.#timer = setTimeout(() => void this.#tick(), periodMs);
  }

  #judge(isSuccess: boolean): boolean | undefined {
    if (isSuccess) {
      return this.#successes >= (this.#probe.successThreshold ?? 1) ? true : undefined;
    }
    return this.#failures >= this.#failureThreshold() ? false : undefined;
  }

  #failureThreshold(): number {
    const threshold = this.#probe.failureThreshold ?? 3;
    if (this.#options.isFailureWindowKept !== true) {
      return threshold;
    }
    const periodMs = (this.#probe.periodSeconds ?? 10) * 1000;
    return threshold * Math.max(1, Math.ceil(periodMs / this.#options.periodCapMs));
  }
}
