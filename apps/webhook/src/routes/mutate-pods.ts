import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Logger } from '@aigw/service-kit';
import {
  admissionApiVersion,
  admissionResponse,
  AdmissionRequestSchema,
  PodSchema,
  type AdmissionRequest,
  type AdmissionResult,
} from '../admission.js';
import { isWebhookError, WebhookError } from '../errors.js';
import type { ClusterReader } from '../kube/cluster-state.js';
import type { WebhookMetrics, Outcome } from '../metrics.js';
import { sidecarPatch } from '../sidecar/patch.js';
import { hasSidecar, proxyGateway } from '../sidecar/should-inject.js';
import { buildSidecar, supportsNativeSidecar, type SidecarSettings } from '../sidecar/sidecar.js';

/** What reviewing a pod needs. */
export interface MutatePodsOptions {
  readonly cluster: ClusterReader;
  readonly settings: SidecarSettings;
  readonly sidecarMode: 'auto' | 'native' | 'container';
  readonly log: Logger;
  readonly metrics: WebhookMetrics;
}

/** A decision and why (for logs and metrics). */
export interface Review {
  readonly result: AdmissionResult;
  readonly outcome: Outcome;
}

const issuesOf = (error: z.ZodError): string => z.prettifyError(error).replace(/\n/g, '; ');

async function isNative(options: MutatePodsOptions): Promise<boolean> {
  switch (options.sidecarMode) {
    case 'native':
      return true;
    case 'container':
      return false;
    case 'auto':
      return supportsNativeSidecar(await options.cluster.serverVersion());
  }
}

/** @throws WebhookError `unsupported` for anything but a Pod CREATE (wrong webhook rules). */
function assertPodCreate(request: AdmissionRequest): void {
  const { resource, operation } = request;
  const sub = request.subResource ?? '';
  const isPodCreate =
    resource.group === '' && resource.resource === 'pods' && sub === '' && operation === 'CREATE';
  if (isPodCreate) return;
  const group = resource.group === '' ? '' : `${resource.group}/`;
  const what = `${operation} ${group}${resource.version}/${resource.resource}${sub ? `/${sub}` : ''}`;
  throw new WebhookError(
    'unsupported',
    `this webhook handles pod CREATE only, got ${what}: check the MutatingWebhookConfiguration's rules`,
  );
}

/**
 * Decides about one Pod CREATE: a proxy pod of a Gateway with AIGatewayRoutes gets the extproc
 * sidecar (a JSON patch); any other pod, and a pod already carrying it, is admitted unchanged.
 *
 * @throws WebhookError for a request or pod it refuses, or cluster state it cannot read.
 */
export async function reviewPod(
  request: AdmissionRequest,
  options: MutatePodsOptions,
): Promise<Review> {
  assertPodCreate(request);
  const parsed = PodSchema.safeParse(request.object);
  if (!parsed.success) {
    throw new WebhookError(
      'bad_request',
      `request.object is not a valid Pod: ${issuesOf(parsed.error)}`,
    );
  }
  const pod = parsed.data;
  const gateway = proxyGateway(pod);
  if (gateway === undefined) return { result: { allowed: true }, outcome: 'not_a_proxy' };
  if (hasSidecar(pod)) return { result: { allowed: true }, outcome: 'already_injected' };
  const namespace = request.namespace || pod.metadata?.namespace;
  if (!namespace)
    throw new WebhookError('bad_request', 'the request names no namespace for the pod');
  if (!(await options.cluster.hasRoutes(gateway)))
    return { result: { allowed: true }, outcome: 'no_ai_routes' };
  const sidecar = buildSidecar({
    settings: options.settings,
    gateway,
    namespace,
    gatewayConfig: await options.cluster.gatewayConfig(gateway),
    native: await isNative(options),
  });
  return { result: { allowed: true, patch: sidecarPatch(pod, sidecar) }, outcome: 'injected' };
}

const EnvelopeSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  request: z.unknown(),
});

/**
 * `POST /mutate`: AdmissionReview v1 in, AdmissionReview v1 out. A body that is not an
 * AdmissionReview v1 (not JSON, wrong apiVersion or kind, no `request.uid`) gets HTTP 400 and a
 * message, as there is no request to answer; anything wrong inside a request with a uid gets
 * `allowed: false` with `status.code` and a message naming the problem.
 */
export function registerMutatePods(app: FastifyInstance, options: MutatePodsOptions): void {
  app.post('/mutate', async (req, reply) => {
    const started = process.hrtime.bigint();
    const envelope = EnvelopeSchema.safeParse(req.body);
    const badRequest = (message: string) => {
      options.metrics.observe('bad_request', started);
      return reply.code(400).send({ error: 'bad_request', message });
    };
    if (!envelope.success)
      return badRequest(`the body is not an AdmissionReview: ${issuesOf(envelope.error)}`);
    const { apiVersion, kind } = envelope.data;
    if (apiVersion !== admissionApiVersion) {
      return badRequest(
        `unsupported apiVersion "${apiVersion}": this webhook speaks ${admissionApiVersion} (admissionReviewVersions: [v1])`,
      );
    }
    if (kind !== 'AdmissionReview')
      return badRequest(`unsupported kind "${kind}": expected AdmissionReview`);
    const uid = (envelope.data.request as { uid?: unknown } | undefined)?.uid;
    if (typeof uid !== 'string' || uid === '')
      return badRequest('the AdmissionReview has no request.uid');
    const request = AdmissionRequestSchema.safeParse(envelope.data.request);
    const log = options.log.child({
      uid,
      namespace: (envelope.data.request as { namespace?: unknown }).namespace,
    });
    let review: Review;
    try {
      if (!request.success)
        throw new WebhookError(
          'bad_request',
          `malformed AdmissionReview request: ${issuesOf(request.error)}`,
        );
      review = await reviewPod(request.data, options);
    } catch (err) {
      const denial = isWebhookError(err)
        ? { code: err.httpStatus, message: err.message }
        : { code: 500, message: 'internal error while reviewing the pod (see the webhook log)' };
      log.warn({ err }, 'pod denied');
      review = { result: { allowed: false, ...denial }, outcome: 'denied' };
    }
    options.metrics.observe(review.outcome, started);
    if (review.outcome === 'injected') log.info({ pod: podName(request.data) }, 'sidecar injected');
    else log.debug({ outcome: review.outcome }, 'pod admitted unchanged');
    return reply.send(admissionResponse(uid, review.result));
  });
}

function podName(request: AdmissionRequest | undefined): string | undefined {
  const meta = (
    request?.object as { metadata?: { name?: string; generateName?: string } } | undefined
  )?.metadata;
  return meta?.name || meta?.generateName;
}
