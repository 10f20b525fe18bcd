import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { debounce } from './debounce.js';

/** Options of {@link watchFiles}. */
export interface WatchFilesOptions {
  /** Called once per burst of changes, `debounceMs` after the last one. */
  readonly onChange: () => void;
  /** Quiet time before `onChange` (default 100 ms). */
  readonly debounceMs?: number;
  /** Interval of the stat poll that backs up `fs.watch` (default 250 ms). */
  readonly pollMs?: number;
}

/** A running watch. */
export interface FileWatch {
  /** Settles once the first scan recorded every file's state: changes after it are seen. */
  readonly ready: Promise<void>;
  /**
   * Scans now, as the stat poll does; true when a file changed since the last scan (and
   * `onChange` is then due after the debounce). For tests and for callers that know a change
   * happened.
   */
  scanNow(): Promise<boolean>;
  /** Stops watching: no `onChange` after it, even for a change already seen. */
  close(): void;
}

/**
 * Watches `paths` for changes. `fs.watch` on each file's *directory* (editors and `kubectl cp`
 * replace files by rename, which a watch on the file itself would lose) gives a fast signal; a
 * stat poll (size, mtime, inode) catches what inotify misses (network file systems, some
 * container mounts, a directory that did not exist yet). Both feed one debounce.
 */
export function watchFiles(paths: readonly string[], options: WatchFilesOptions): FileWatch {
  const files = paths.map((path) => resolve(path));
  const signatures = new Map<string, string>();
  /** Re-reads every signature; true when one differs from the last seen. */
  const refresh = async (): Promise<boolean> => {
    let differs = false;
    for (const file of files) {
      const signature = await statSignature(file);
      const previous = signatures.get(file);
      signatures.set(file, signature);
      differs ||= previous !== undefined && previous !== signature;
    }
    return differs;
  };
  // Before reporting, take the new signatures as seen, so the poll does not report the same
  // change a second time.
  let closed = false;
  const changed = debounce(() => {
    void refresh().finally(() => {
      if (!closed) options.onChange();
    });
  }, options.debounceMs ?? 100);
  const watchers = watchDirectories(files, () => {
    changed.trigger();
  });
  let polling: Promise<boolean> | undefined;
  /** One scan at a time: a call during a scan shares its result. */
  const poll = (): Promise<boolean> => {
    polling ??= refresh()
      .then((differs) => {
        if (differs && !closed) changed.trigger();
        return differs;
      })
      .finally(() => {
        polling = undefined;
      });
    return polling;
  };
  const ready = poll().then(() => undefined);
  const timer = setInterval(() => void poll(), options.pollMs ?? 250);
  timer.unref();
  return {
    ready,
    scanNow: poll,
    close: () => {
      closed = true;
      clearInterval(timer);
      changed.cancel();
      for (const watcher of watchers) watcher.close();
    },
  };
}

function watchDirectories(files: readonly string[], onEvent: () => void): FSWatcher[] {
  const namesByDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = namesByDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    namesByDir.set(dirname(file), names);
  }
  const watchers: FSWatcher[] = [];
  for (const [dir, names] of namesByDir) {
    try {
      const watcher = watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || names.has(name)) onEvent();
      });
      // A removed directory or an exhausted inotify quota: the stat poll still runs.
      watcher.on('error', () => undefined);
      watchers.push(watcher);
    } catch {
      // Unwatchable directory: rely on the poll.
    }
  }
  return watchers;
}

async function statSignature(file: string): Promise<string> {
  try {
    const s = await stat(file, { bigint: true });
    return `${String(s.ino)}:${String(s.size)}:${String(s.mtimeNs)}`;
  } catch (err) {
    return `missing:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}
