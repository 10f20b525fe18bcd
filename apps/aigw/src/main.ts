import { isConfigError } from '@aigw/service-kit';
import { loadHelpOnly } from './config.js';
import { usage } from './commands/help.js';
import { hashKey } from './commands/hash-key.js';
import { healthcheck } from './commands/healthcheck.js';
import { run } from './commands/run.js';
import { translate } from './commands/translate.js';
import { version } from './version.js';

/** The process surface a command uses; tests pass their own streams and env. */
export interface Cli {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

type Command = (argv: readonly string[], cli: Cli) => number | Promise<number>;

const commands: Readonly<Record<string, Command>> = {
  run,
  translate,
  healthcheck,
  'hash-key': hashKey,
  version: (argv, cli) => {
    if (loadHelpOnly(argv).config.help) cli.stdout.write(usage.version);
    else cli.stdout.write(`aigw ${version}\n`);
    return 0;
  },
};

/** Runs one `aigw` command line and returns the exit code (2 for usage and config errors). */
export async function main(argv: readonly string[], cli: Cli): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    cli.stdout.write(usage.root);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    cli.stderr.write(`aigw: unknown command "${name}" (try 'aigw --help')\n`);
    return 2;
  }
  try {
    return await command(rest, cli);
  } catch (err) {
    if (!isConfigError(err)) throw err;
    cli.stderr.write(`aigw ${name}: ${err.message}\n`);
    return 2;
  }
}
