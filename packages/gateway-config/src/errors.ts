/**
 * Invalid input to the generators. The message is one line per problem, each naming the file, the
 * object (`Kind namespace/name`) and the field path, e.g.
 * `routes.yaml: AIGatewayRoute default/chat: spec.rules[0].backendRefs[0].name: AIServiceBackend default/openai not found`.
 */
export class ResourceError extends Error {
  override readonly name = 'ResourceError';
  /** The same problems as the message, one string per line. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options: { readonly cause?: unknown } = {}) {
    super(problems.join('\n'), options.cause === undefined ? {} : { cause: options.cause });
    this.problems = problems;
  }
}

/** Structural guard for {@link ResourceError} that does not rely on `instanceof`. */
export function isResourceError(err: unknown): err is ResourceError {
  return err instanceof Error && err.name === 'ResourceError' && 'problems' in err;
}
