/** Escaping for model names placed in an upstream path. */

/** Characters `encodeURIComponent` escapes that a path segment may carry literally (RFC 3986 sub-delims, `:` and `@`). */
const keptLiterally = /%(24|26|2B|2C|3A|3B|3D|40)/g;
/** Characters `encodeURIComponent` keeps but Go's `url.PathEscape` escapes. */
const escapedAlso = /[!'()*]/g;

/**
 * Escapes one path segment as Go's `url.PathEscape` does, so upstream paths match the Go
 * gateway's byte for byte (and the SigV4 canonical path): `/` becomes `%2F`, while `:` stays, as
 * in `arn:aws:bedrock:us-east-1:123:inference-profile%2Fus.anthropic.claude-3-5-sonnet-v2:0`.
 */
export function escapePathSegment(segment: string): string {
  return encodeURIComponent(segment)
    .replace(keptLiterally, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    .replace(escapedAlso, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
