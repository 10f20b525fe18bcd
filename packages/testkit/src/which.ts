import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { testkitEnv } from './config.js';

/**
 * Resolves `command` the way a shell would: a name containing `/` must itself be an executable
 * file; a bare name is looked up on `PATH`. `undefined` when nothing executable is found.
 */
export function which(command: string): string | undefined {
  if (command.includes('/')) {
    return isExecutableFile(command) ? command : undefined;
  }
  return testkitEnv()
    .path.split(delimiter)
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, command))
    .find(isExecutableFile);
}

/** True when `file` is a regular file this process may execute. */
export function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
