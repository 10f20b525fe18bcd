import { readFileSync } from 'node:fs';

/** The aigw version, read from this package's package.json (works from src/ and dist/). */
export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;
