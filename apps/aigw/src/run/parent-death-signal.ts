import { accessSync, constants } from 'node:fs';

// util-linux's setpriv(1) calls prctl(PR_SET_PDEATHSIG) and then execs the program (same pid), so
// the kernel SIGKILLs the child when aigw dies — even when aigw itself is SIGKILLed and no exit
// handler runs. Node has no prctl binding; this is the same mechanism @aigw/testkit uses.
const setprivCandidates = ['/usr/bin/setpriv', '/bin/setpriv'];
let setpriv: string | null | undefined;

/** A command line ready for `child_process.spawn`. */
export interface CommandLine {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * Wraps `command` so that, on Linux with `setpriv` installed, it receives SIGKILL when aigw dies.
 * Elsewhere the command is returned unchanged (see {@link hasParentDeathSignal}).
 */
export function withParentDeathSignal(command: string, args: readonly string[]): CommandLine {
  const wrapper = findSetpriv();
  if (wrapper === null) return { file: command, args };
  return { file: wrapper, args: ['--pdeathsig', 'SIGKILL', '--', command, ...args] };
}

/** Whether children are tied to aigw's life by the kernel (Linux with setpriv). */
export function hasParentDeathSignal(): boolean {
  return findSetpriv() !== null;
}

function findSetpriv(): string | null {
  if (setpriv === undefined) {
    setpriv = process.platform === 'linux' ? (setprivCandidates.find(isExecutable) ?? null) : null;
  }
  return setpriv;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
