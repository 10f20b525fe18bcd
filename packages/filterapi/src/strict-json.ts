// YAML parsing is slow for large documents: the `yaml` package needs about a second for the
// 1.5 MB config of a 2,000-route Gateway, JSON.parse a few milliseconds. Writers that care (the
// controller) write JSON, and JSON text takes this path; anything else, and any JSON this path
// does not accept, goes through the YAML parser, which also produces the positioned errors.

/**
 * Parses `text` when it is a JSON object without a repeated key in any object, else returns
 * `undefined` (not JSON, or a repeated key, which JSON.parse would silently resolve to the last
 * value and which the YAML path reports with its position).
 */
export function parseStrictJsonObject(text: string): unknown {
  if (!/^\s*\{/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return hasRepeatedKey(text) ? undefined : value;
}

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const closeBrace = 0x7d;
const openBracket = 0x5b;
const closeBracket = 0x5d;
const colon = 0x3a;

/** Scans valid JSON text for an object that repeats a key; one pass, no allocation per value. */
function hasRepeatedKey(text: string): boolean {
  // One entry per open container: a key set for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === quote) {
      const end = stringEnd(text, i);
      const keys = stack.at(-1);
      if (
        keys &&
        nextNonSpace(text, end + 1) === colon &&
        isRepeated(keys, text.slice(i + 1, end))
      ) {
        return true;
      }
      i = end + 1;
      continue;
    }
    if (c === openBrace) stack.push(new Set());
    else if (c === openBracket) stack.push(null);
    else if (c === closeBrace || c === closeBracket) stack.pop();
    i++;
  }
  return false;
}

/** Adds the key written as `raw` (escapes not decoded) to `keys`; true if it was there. */
function isRepeated(keys: Set<string>, raw: string): boolean {
  const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
  if (keys.has(key)) return true;
  keys.add(key);
  return false;
}

/** The index of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === backslash) backslashes++;
    if (backslashes % 2 === 0) return end;
    end = text.indexOf('"', end + 1);
  }
}

function nextNonSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text.charAt(i))) i++;
  return text.charCodeAt(i);
}
