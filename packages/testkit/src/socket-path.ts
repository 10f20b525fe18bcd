import { join } from 'node:path';

import { TestkitError } from './errors.js';
import { tempDir } from './temp-dir.js';

// sun_path holds 108 bytes on Linux and 104 on macOS; stay well below both.
const maxSocketPathLength = 100;

/**
 * Returns a path for a Unix domain socket named `name` inside `dir` (default: a new
 * {@link tempDir}), checking that it fits the kernel's socket path limit.
 *
 * @throws TestkitError `invalid-argument` when the path would be 100 characters or longer.
 */
export function socketPath(name: string, dir: string = tempDir('sock')): string {
  const path = join(dir, name);
  if (path.length >= maxSocketPathLength) {
    throw new TestkitError(
      'invalid-argument',
      `Unix socket path ${path} is ${String(path.length)} characters; keep it under ` +
        `${String(maxSocketPathLength)} (use a shorter TMPDIR or name)`,
    );
  }
  return path;
}
