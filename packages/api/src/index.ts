/**
 * @aigw/api: CRD types for aigateway.envoyproxy.io.
 *
 * Empty on purpose: its contents land with issue 5/7. The workspace exists so the dependency
 * rules and build wiring are in place from the start.
 */
export {};
