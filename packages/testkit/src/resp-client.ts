import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';

import { TestkitError } from './errors.js';
import { encodeCommand, parseResp, type RespValue } from './resp-parser.js';

/** Where a Redis server listens: TCP host and port, or a Unix socket path. */
export type RespTarget =
  { readonly host: string; readonly port: number } | { readonly path: string };

/** Options for {@link RespClient.connect}. */
export interface RespConnectOptions {
  /** Give up connecting after this long (default 2 s). */
  readonly timeoutMs?: number;
}

interface Pending {
  resolve(value: RespValue): void;
  reject(err: Error): void;
}

/**
 * A minimal RESP2 client over `node:net` for tests: pipelined commands, replies in order, no
 * dependency. Not for production use (no reconnects, no RESP3).
 */
export class RespClient {
  readonly #socket: Socket;
  readonly #pending: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #closedError: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#onData(chunk);
    });
    socket.on('error', (err) => {
      this.#fail(err);
    });
    socket.on('close', () => {
      this.#fail(new TestkitError('redis-error', 'Redis connection closed'));
    });
  }

  /** Connects to `target`. */
  static async connect(target: RespTarget, options: RespConnectOptions = {}): Promise<RespClient> {
    const socket = createConnection(
      'path' in target ? { path: target.path } : { host: target.host, port: target.port },
    );
    try {
      await once(socket, 'connect', { signal: AbortSignal.timeout(options.timeoutMs ?? 2_000) });
    } catch (err) {
      socket.destroy();
      throw new TestkitError('redis-error', `cannot connect to Redis at ${describe(target)}`, {
        cause: err,
      });
    }
    return new RespClient(socket);
  }

  /**
   * Sends one command, e.g. `command('SET', 'k', 'v')`, and resolves with its reply.
   *
   * @throws TestkitError `redis-error` for an error reply or a closed connection.
   */
  async command(...args: readonly (string | number | Buffer)[]): Promise<RespValue> {
    if (this.#closedError !== undefined) {
      throw this.#closedError;
    }
    const reply = new Promise<RespValue>((resolve, reject) => {
      this.#pending.push({ resolve, reject });
    });
    this.#socket.write(encodeCommand(args));
    return reply;
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    if (this.#socket.destroyed) {
      return;
    }
    const closed = once(this.#socket, 'close');
    this.#socket.end();
    await closed;
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    let parsed = parseResp(this.#buffer);
    while (parsed !== undefined) {
      this.#buffer = this.#buffer.subarray(parsed.end);
      this.#settle(parsed.value);
      parsed = this.#buffer.length === 0 ? undefined : parseResp(this.#buffer);
    }
  }

  #settle(value: RespValue): void {
    const pending = this.#pending.shift();
    if (value instanceof TestkitError) {
      pending?.reject(value);
    } else {
      pending?.resolve(value);
    }
  }

  #fail(err: Error): void {
    this.#closedError ??= err;
    for (const pending of this.#pending.splice(0)) {
      pending.reject(err);
    }
  }
}

function describe(target: RespTarget): string {
  return 'path' in target ? target.path : `${target.host}:${String(target.port)}`;
}
