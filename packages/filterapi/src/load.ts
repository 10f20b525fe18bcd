import { readFile } from 'node:fs/promises';

import { parseFilterConfig } from './config.js';
import type { FilterConfig } from './schema.js';

/**
 * Reads and parses the filter config file at `path` (YAML or JSON).
 *
 * A {@link FilterConfigError} names `path` in its message and `source`; file-system errors
 * (`ENOENT`, `EACCES`, …) are thrown unchanged so the caller can tell "not there yet" from
 * "there but wrong".
 */
export async function readFilterConfigFile(path: string): Promise<FilterConfig> {
  const text = await readFile(path, 'utf8');
  return parseFilterConfig(text, { source: path });
}
