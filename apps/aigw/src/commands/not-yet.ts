import { loadHelpOnly } from '../config.js';
import type { Cli } from '../main.js';

/** A command that exists in the CLI surface but whose feature lands with a later issue. */
export function notYet(options: { name: string; usage: string; issue: string }) {
  return (argv: readonly string[], cli: Cli): number => {
    if (loadHelpOnly(argv).config.help) {
      cli.stdout.write(options.usage);
      return 0;
    }
    cli.stderr.write(
      `aigw ${options.name}: not yet available — it lands with issue ${options.issue}.\n`,
    );
    return 1;
  };
}
