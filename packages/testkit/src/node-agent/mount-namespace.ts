import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

/** A file or directory of the host shown at `target` inside the container's root. */
export interface BindMount {
  /** Host path (a volume's directory or file). */
  readonly source: string;
  /** Absolute path inside the container (`volumeMounts[].mountPath`, `/etc/hosts`). */
  readonly target: string;
}

/** What {@link mountNamespaceScript} builds. */
export interface MountNamespacePlan {
  /** An empty host directory the private root (a tmpfs) is mounted on. */
  readonly rootDir: string;
  readonly binds: readonly BindMount[];
  /** A host directory for the two FIFOs the container's stdout and stderr go through. */
  readonly stdioDir: string;
}

/**
 * A shell script, run as `unshare --mount --propagation private sh <script> <cwd> <argv…>`, that
 * gives one container the view of the file system a container runtime would: a private root (a
 * tmpfs on `rootDir`) holding the host's directories (bind-mounted, so programs, libraries and
 * the repository are there) and, at each bind's `target`, its `source` — volumes at their
 * `mountPath`s, a generated `/etc/hosts`. Directories of the host that contain a target (`/etc`
 * for `/etc/ai-gateway-extproc-uds`) are rebuilt in the tmpfs entry by entry instead of mounted
 * whole, so no mount point is ever created on the host. Then it `chroot`s, changes to `<cwd>` and
 * `exec`s `<argv…>` (the process keeps its pid; the environment passes through unchanged; its
 * stdout and stderr are FIFOs, so `/dev/stdout` can be opened, as in a container). The
 * mounts live in the process's mount namespace and vanish with it. Needs root.
 */
export function mountNamespaceScript(plan: MountNamespacePlan): string {
  const root = plan.rootDir;
  const binds = plan.binds.map((b) => ({ source: b.source, target: hostResolved(b.target) }));
  const targets = new Set(binds.map((b) => b.target));
  const expanded = new Set<string>();
  for (const target of targets) {
    for (let dir = posix.dirname(target); ; dir = posix.dirname(dir)) {
      expanded.add(dir);
      if (dir === '/') break;
    }
  }
  const lines = ['set -eu', `mount -t tmpfs tmpfs ${q(root)}`];
  const emit = (dir: string): void => {
    for (const entry of listDir(dir)) {
      const path = posix.join(dir, entry);
      const at = q(join(root, path));
      if (targets.has(path)) continue;
      if (expanded.has(path)) {
        lines.push(`mkdir ${at}`);
        emit(path);
        continue;
      }
      const kind = entryKind(path);
      if (kind === 'link') lines.push(`ln -s ${q(readlinkSync(path))} ${at}`);
      else if (kind === 'dir') lines.push(`mkdir ${at} && mount --rbind ${q(path)} ${at}`);
      else if (kind === 'file') lines.push(`: > ${at} && mount --bind ${q(path)} ${at}`);
    }
  };
  emit('/');
  // Directories on the way to a target that the host does not have (`/certs`, `/sds`).
  for (const dir of [...expanded].sort()) {
    lines.push(`mkdir -p ${q(join(root, dir))}`);
  }
  // Shorter targets first, so a target inside another volume is mounted over it.
  for (const bind of [...binds].sort((a, b) => a.target.length - b.target.length)) {
    const at = q(join(root, bind.target));
    const isDir = entryKind(bind.source) === 'dir';
    lines.push(
      isDir ? `mkdir -p ${at}` : `mkdir -p ${q(join(root, dirname(bind.target)))} && : >> ${at}`,
    );
    lines.push(`mount --bind ${q(bind.source)} ${at}`);
  }
  // stdout and stderr through FIFOs, as a container runtime gives pipes: ours are sockets, which
  // a program cannot open again by name (Envoy's access log to `/dev/stdout` fails with ENXIO).
  for (const [fd, name] of [
    [1, 'stdout'],
    [2, 'stderr'],
  ] as const) {
    const fifo = q(join(plan.stdioDir, name));
    lines.push(`rm -f ${fifo} && mkfifo ${fifo}`, `cat ${fifo} >&${String(fd)} &`);
    lines.push(`exec ${String(fd)}>${fifo}`);
  }
  lines.push(`exec chroot ${q(root)} /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$@"`, '');
  return lines.join('\n');
}

/**
 * `target` with the host's symbolic links of its existing prefix resolved
 * (`/var/run/secrets/…` → `/run/secrets/…` where `/var/run` links to `/run`): the link stays a
 * link in the private root, and the mount goes where it points.
 */
function hostResolved(target: string): string {
  const parts = posix.normalize(target).split('/').filter(Boolean);
  for (let i = parts.length; i > 0; i--) {
    const prefix = `/${parts.slice(0, i).join('/')}`;
    try {
      const real = realpathSync(prefix);
      return posix.join(real, ...parts.slice(i));
    } catch {
      // Not on the host: try a shorter prefix.
    }
  }
  return posix.normalize(target);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function entryKind(path: string): 'link' | 'dir' | 'file' | 'other' {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return 'link';
    if (stat.isDirectory()) return 'dir';
    // Sockets and devices outside /dev are left out.
    return stat.isFile() ? 'file' : 'other';
  } catch {
    return 'other';
  }
}

function q(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
