import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * What became of one `/mutate` request: the sidecar `injected`; admitted unchanged because the
 * pod is `not_a_proxy`, its Gateway has `no_ai_routes`, or it is `already_injected`; `denied`
 * (`allowed: false`); or a `bad_request` (HTTP 400, not an AdmissionReview).
 */
export type Outcome =
  'injected' | 'not_a_proxy' | 'no_ai_routes' | 'already_injected' | 'denied' | 'bad_request';

/** The webhook's Prometheus metrics, on their own registry (served at `/metrics`). */
export class WebhookMetrics {
  readonly registry = new Registry();
  readonly #admissions: Counter<'outcome'>;
  readonly #duration: Histogram<'outcome'>;
  readonly #certReloads: Counter;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'aigw_webhook_' });
    this.#admissions = new Counter({
      name: 'aigw_webhook_admissions_total',
      help: 'Admission requests by outcome.',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
    this.#duration = new Histogram({
      name: 'aigw_webhook_admission_duration_seconds',
      help: 'Time to answer an admission request, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.#certReloads = new Counter({
      name: 'aigw_webhook_certificate_reloads_total',
      help: 'Serving certificate reloads from the certificate files.',
      registers: [this.registry],
    });
  }

  /** Counts one request and its duration since `started` (`process.hrtime.bigint()`). */
  observe(outcome: Outcome, started: bigint): void {
    this.#admissions.inc({ outcome });
    this.#duration.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  certificateReloaded(): void {
    this.#certReloads.inc();
  }
}
