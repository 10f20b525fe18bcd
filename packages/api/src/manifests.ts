import { parseAllDocuments } from 'yaml';
import { group } from './crd.js';
import { validateResource, type ValidationResult } from './validate.js';

/** The validation of one YAML document of group aigateway.envoyproxy.io. */
export interface ManifestResult {
  /** Zero-based position of the document in the stream. */
  readonly index: number;
  readonly result: ValidationResult;
}

/**
 * Validates every `aigateway.envoyproxy.io` document of a multi-document YAML stream (what
 * `aigw run` reads); documents of other groups (Gateways, Backends, Secrets, ...) are skipped.
 * A document that is not valid YAML yields a failed result carrying the parser's message.
 */
export function validateManifests(text: string): ManifestResult[] {
  const out: ManifestResult[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.errors.length > 0) {
      out.push({
        index,
        result: { ok: false, errors: doc.errors.map((e) => e.message), warnings: [] },
      });
      return;
    }
    const value: unknown = doc.toJS();
    const apiVersion = (value as { apiVersion?: unknown } | null)?.apiVersion;
    if (typeof apiVersion === 'string' && apiVersion.startsWith(`${group}/`)) {
      out.push({ index, result: validateResource(value) });
    }
  });
  return out;
}
