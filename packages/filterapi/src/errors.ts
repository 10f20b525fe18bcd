/**
 * Why a filter config was rejected:
 * - `invalid_yaml`: the text is not one well-formed YAML (or JSON) document, or repeats a key;
 * - `invalid_config`: the document does not match {@link FilterConfigSchema};
 * - `version_mismatch`: the document's `version` is not the one this build reads. The extproc
 *   keeps serving its last good config, as during a rolling upgrade.
 */
export type FilterConfigErrorCode = 'invalid_yaml' | 'invalid_config' | 'version_mismatch';

/** One problem in a document: where it is and what is wrong. */
export interface FilterConfigIssue {
  /** `backends[1].schema.name`, `(root)` for the whole document, or `line 3, column 1` for YAML. */
  readonly path: string;
  readonly message: string;
}

/** Options of {@link FilterConfigError} beyond its code and message. */
export interface FilterConfigErrorOptions {
  /** The file path or other label the text came from, if known. */
  readonly source?: string | undefined;
  readonly issues?: readonly FilterConfigIssue[];
  readonly cause?: unknown;
}

/**
 * A filter config was rejected. The message is one line per issue, each naming the source and
 * the path: `filter config /etc/x.yaml: backends[1].schema.name: expected one of OpenAI|…`.
 * The same issues are available structured in {@link FilterConfigError.issues}.
 */
export class FilterConfigError extends Error {
  override readonly name = 'FilterConfigError';
  readonly code: FilterConfigErrorCode;
  readonly source: string | undefined;
  readonly issues: readonly FilterConfigIssue[];

  constructor(
    code: FilterConfigErrorCode,
    message: string,
    options: FilterConfigErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.source = options.source;
    this.issues = options.issues ?? [];
  }
}

/** Structural guard for {@link FilterConfigError} that does not rely on `instanceof`. */
export function isFilterConfigError(err: unknown): err is FilterConfigError {
  return err instanceof Error && err.name === 'FilterConfigError' && 'code' in err;
}
