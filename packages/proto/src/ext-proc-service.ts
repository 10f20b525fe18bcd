/**
 * The ext_proc server's side of `ext-proc.ts` alone: the `ExternalProcessor` bidi-stream protocol,
 * `ProcessingMode` and the header append action, without the HTTP filter configuration
 * (`envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor` and the Envoy config it pulls in),
 * so an ext_proc server loads only the generated files it speaks.
 */
export * from './gen/envoy/service/ext_proc/v3/external_processor.js';
export * from './gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode.js';
export { HeaderValueOption_HeaderAppendAction } from './gen/envoy/config/core/v3/base.js';
export type { HeaderValue } from './gen/envoy/config/core/v3/base.js';
