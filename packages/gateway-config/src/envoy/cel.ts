/**
 * Common Expression Language text for Envoy's CEL extensions (access-log filters, rate-limit
 * descriptors), built from values the gateway generates, never from client input.
 */

/** `text` as a CEL single-quoted string literal. */
export function celString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A string the extproc wrote to dynamic metadata, as CEL: whether it is there, and its value. */
export interface CelMetadataValue {
  /** True when the namespace holds the key (never an error). */
  readonly present: string;
  /** The value (an error when absent: guard it with {@link present}). */
  readonly value: string;
}

/** `metadata.filter_metadata[<namespace>][<key>]` of the stream's dynamic metadata. */
export function celMetadataValue(namespace: string, key: string): CelMetadataValue {
  const ns = `metadata.filter_metadata[${celString(namespace)}]`;
  return {
    present: `(${celString(namespace)} in metadata.filter_metadata && ${celString(key)} in ${ns})`,
    value: `${ns}[${celString(key)}]`,
  };
}

/**
 * A CEL expression that is an error (a missing key of an empty map): what makes Envoy's
 * `envoy.rate_limit_descriptors.expr` action (without `skip_if_error`) produce no descriptor, as a
 * `header_value_match` that does not match.
 */
export const celNoMatch = "{}['no match']";
