/**
 * Why a pod was not admitted as asked:
 * - `bad_request`: the AdmissionReview or the Pod in it is malformed (HTTP 400 or a denial);
 * - `unsupported`: a well-formed request the webhook does not handle (another resource or
 *   operation: the MutatingWebhookConfiguration's rules are wrong);
 * - `cluster_state`: the API server could not be read (routes, Gateway, GatewayConfig);
 * - `invalid_gateway_config`: the Gateway names a GatewayConfig that is missing or unusable;
 * - `invalid_pod`: a Gateway proxy pod the sidecar cannot be added to (no `envoy` container).
 */
export type WebhookErrorCode =
  'bad_request' | 'unsupported' | 'cluster_state' | 'invalid_gateway_config' | 'invalid_pod';

/** An admission failure; its message is what the API server shows the pod's creator. */
export class WebhookError extends Error {
  override readonly name = 'WebhookError';
  readonly code: WebhookErrorCode;

  constructor(code: WebhookErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** The HTTP status code of the denial's `status.code`. */
  get httpStatus(): number {
    switch (this.code) {
      case 'bad_request':
      case 'unsupported':
      case 'invalid_pod':
        return 400;
      case 'invalid_gateway_config':
        return 422;
      case 'cluster_state':
        return 503;
    }
  }
}

/** Structural guard for {@link WebhookError}. */
export function isWebhookError(err: unknown): err is WebhookError {
  return err instanceof Error && err.name === 'WebhookError' && 'code' in err;
}
