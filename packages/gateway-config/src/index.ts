/** Pure generation from validated resources; filled in by issue 6/7. */
export {};
