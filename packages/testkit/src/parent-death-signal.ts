import { accessSync, constants } from 'node:fs';

// util-linux's setpriv(1) calls prctl(PR_SET_PDEATHSIG) and then execs the real program (same
// pid), so the kernel SIGKILLs the child when the thread that spawned it dies, even by SIGKILL.
const setprivCandidates = ['/usr/bin/setpriv', '/bin/setpriv'];
let setpriv: string | null | undefined;

/** A command line ready for `child_process.spawn`. */
export interface CommandLine {
  readonly file: string;
  readonly args: readonly string[];
}

/**
 * Wraps `command` so that, on Linux with `setpriv` installed, the child receives SIGKILL when its
 * parent dies. Elsewhere the command is returned unchanged and only exit hooks and pid files
 * protect against orphans.
 */
export function withParentDeathSignal(command: string, args: readonly string[]): CommandLine {
  const wrapper = findSetpriv();
  if (wrapper === null) {
    return { file: command, args };
  }
  return { file: wrapper, args: ['--pdeathsig', 'SIGKILL', '--', command, ...args] };
}

function findSetpriv(): string | null {
  if (setpriv !== undefined) {
    return setpriv;
  }
  setpriv = process.platform === 'linux' ? (setprivCandidates.find(isExecutable) ?? null) : null;
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
