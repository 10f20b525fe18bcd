/**
 * @aigw/translator: pure translation between LLM API schemas.
 *
 * Empty on purpose: its contents land with issue 3/7. The workspace exists so the dependency
 * rules and build wiring are in place from the start.
 */
export {};
