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

  it.each([[['--observability']], [['--quick', '--observability', '--no-write']]])(
    'parses %j with the observability comparison on (and only then)',
    (argv) => {
      expect(options([]).observability).toBe(false);
      const parsed = options(argv);
      expect(parsed.observability).toBe(true);
      expect(parsed.shouldWrite).toBe(parsed.mode === 'full');
      expect(parsed.command).toBe(`pnpm bench ${argv.join(' ')}`);
    },
  );

  it.each([
    [['--observability', '--soak']],
    [['--observability', '--peers']],
    [['--observability', '--extprocs', '2']],
  ])('refuses %j', (argv) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
  });
});
