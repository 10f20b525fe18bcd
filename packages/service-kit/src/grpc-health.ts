import * as health from '@aigw/proto/health';

type ServingStatus = health.HealthCheckResponse_ServingStatus;
const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = health.HealthCheckResponse_ServingStatus;

/**
 * The standard `grpc.health.v1.Health` service. The empty service name stands for the whole
 * server. `Watch` streams every change until the client goes away, and `shutdown()` reports
 * NOT_SERVING to everyone so load balancers drain before the server stops.
 */
export class GrpcHealth {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Map<string, Set<(servingStatus: ServingStatus) => void>>();

  constructor(services: readonly string[] = []) {
    this.#statuses.set('', SERVING);
    for (const service of services) this.#statuses.set(service, SERVING);
  }

  /** Sets one service's status and tells its watchers. */
  setStatus(service: string, servingStatus: ServingStatus): void {
    this.#statuses.set(service, servingStatus);
    for (const listener of this.#watchers.get(service) ?? []) listener(servingStatus);
  }

  /** One service's status; undefined for a service never registered (NOT_FOUND on Check). */
  statusOf(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /**
   * Calls `listener` with a service's status now (SERVICE_UNKNOWN if unregistered) and on every
   * change, until the returned function is called (the `Watch` semantics).
   */
  subscribe(service: string, listener: (servingStatus: ServingStatus) => void): () => void {
    let watchers = this.#watchers.get(service);
    if (!watchers) {
      watchers = new Set();
      this.#watchers.set(service, watchers);
    }
    const set = watchers;
    set.add(listener);
    listener(this.#statuses.get(service) ?? SERVICE_UNKNOWN);
    return () => set.delete(listener);
  }

  /** Marks every service NOT_SERVING (call before a graceful stop). */
  shutdown(): void {
    for (const service of this.#statuses.keys()) this.setStatus(service, NOT_SERVING);
  }
}
