/**
 * @aigw/filterapi: the controller-to-extproc configuration contract.
 *
 * Empty on purpose: its contents land with issue 2/7. The workspace exists so the dependency
 * rules and build wiring are in place from the start.
 */
export {};
