import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError, type BenchOptions } from './config.js';

function options(argv: readonly string[]): BenchOptions {
  const parsed = parseOptions(argv);
  if (parsed === 'help') throw new Error('unexpected --help');
  return parsed;
}

describe('pnpm bench arguments', () => {
  it('leaves the peers out by default', () => {
    expect(options([]).peers).toBe(false);
  });

  it.each([[['--peers']], [['--quick', '--peers']], [['--smoke', '--peers']]])(
    'parses %j with the peers on (nothing is installed while parsing)',
    (argv) => {
      const parsed = options(argv);
      expect(parsed.peers).toBe(true);
      expect(parsed.command).toBe(`pnpm bench ${argv.join(' ')}`);
    },
  );

  it('refuses --peers with --soak', () => {
    expect(() => parseOptions(['--soak', '--peers'])).toThrow(UsageError);
  });

  it('keeps the other flags beside --peers', () => {
    const parsed = options(['--quick', '--peers', '--concurrency', '16', '--no-profile']);
    expect(parsed).toMatchObject({
      mode: 'quick',
      peers: true,
      concurrencies: [16],
      shouldProfile: false,
    });
  });
});
