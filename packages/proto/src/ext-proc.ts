/**
 * Envoy external processing: the `envoy.service.ext_proc.v3.ExternalProcessor` bidi-stream
 * protocol (`ExternalProcessorService` for `grpc.Server#addService`), the `ProcessingMode` it
 * shares with the filter, and the HTTP filter configuration
 * (`envoy.extensions.filters.http.ext_proc.v3`: `ExternalProcessor`, `ExtProcPerRoute`, ...) for
 * building Envoy config. Includes the overlay fields of newer Envoy releases (proto/README.md).
 */
export * from './gen/envoy/service/ext_proc/v3/external_processor.js';
export * from './gen/envoy/extensions/filters/http/ext_proc/v3/processing_mode.js';
export * from './gen/envoy/extensions/filters/http/ext_proc/v3/ext_proc.js';
// The append action of the `HeaderValueOption`s in a `HeaderMutation` (envoy.config.core.v3; also
// in `envoyConfig`), so an ext_proc server needs no import of the Envoy config barrel.
export { HeaderValueOption_HeaderAppendAction } from './gen/envoy/config/core/v3/base.js';
