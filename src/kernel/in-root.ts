/**
 * A process's files as that process sees them, read safely from the real machine.
 *
 * Naively, nslab would read `/proc/<pid>/root/<path>`. But once the kernel has followed that
 * magic link into the process's root, an absolute symlink further down the path resolves
 * against nslab's own root — the real machine's — so a lab could point nslab (perhaps running
 * as root) at any real file. Instead: open the process's root as a directory, then resolve the
 * path with openat2(2) RESOLVE_IN_ROOT, which treats that directory as "/" for absolute
 * symlinks and "..", and RESOLVE_NO_MAGICLINKS, which refuses /proc magic links on the way.
 *
 * The lab's /usr and /etc are the real ones, bound read-only, so a path inside the lab can
 * still name /etc/shadow. nslab may run as root; the lab's root is not. So contents (files,
 * directory listings) are read only when the process itself could read them: owner, group or
 * other read permission for its filesystem uid and gid, as the kernel's DAC check would
 * (supplementary groups and ACLs ignored: that only ever refuses more).
 *
 * And no read may block or run away. The lab decides what sits where a check reads: a FIFO
 * (open(2) of one for reading blocks until a writer appears, and a writer can then feed nslab
 * forever), a character device (`ln -s /dev/zero`, or a bind of it), a socket, a huge file. So
 * the path is first opened O_PATH, which never opens the file itself (open(2): "the file itself
 * is not opened"), and fstat'ed: contents are read only from a regular file (a directory, for a
 * listing), reopened through our own /proc/self/fd with O_NONBLOCK, and at most
 * LAB_FILE_LIMIT bytes of it (src/kernel/read-limited.ts). Regular files on the filesystems a
 * lab can mount (tmpfs, proc, sysfs, overlay, binds of its own files) do not block on read; FUSE
 * could, but the lab has no /dev/fuse and mknod(2) is refused in a user namespace.
 */
import { closeSync, constants, fstatSync, opendirSync, openSync, type BigIntStats } from 'node:fs';
import { RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2, readlinkFd, uniqueMountId } from '../../native/libc.ts';
import { readStatus } from './proc.ts';
import { LAB_FILE_LIMIT, readAtMost } from './read-limited.ts';

/** open(2) O_PATH: a handle to the file itself, enough for fstat and readlinkat. */
const O_PATH = 0o10000000;
/** open(2) O_CLOEXEC (Node does not export it): no child process may inherit these fds. */
const O_CLOEXEC = 0o2000000;
/** At most this many entries in a directory listing; a larger directory is "unreadable". */
export const LIST_LIMIT = 65_536;

/** Whether a process with filesystem `uid`/`gid` may read (and, for a directory, search) the file. */
function readableBy(st: BigIntStats, uid: number, gid: number): boolean {
  const need = st.isDirectory() ? 0o5n : 0o4n;
  if (st.uid === BigInt(uid)) return ((st.mode >> 6n) & need) === need;
  if (st.gid === BigInt(gid)) return ((st.mode >> 3n) & need) === need;
  return (st.mode & need) === need;
}

/** What a caller wants from the file: its contents (a regular file / a directory) or only its inode. */
type Want = 'file' | 'directory' | 'inode';

/**
 * Opens `path` O_PATH inside the root of process `pid` (see the top of this file), checks its
 * type and, for contents, the process's read permission, and hands `use` the O_PATH fd and its
 * stat. null when the process is gone, the path does not resolve inside its root, or the file
 * is not what was wanted.
 */
function withFileAs<T>(pid: number, path: string, want: Want, follow: boolean, use: (fd: number, st: BigIntStats) => T): T | null {
  const status = readStatus(pid);
  const fsuid = status?.uid[3];
  const fsgid = status?.gid[3];
  if (fsuid === undefined || fsgid === undefined) return null;
  let root: number;
  try {
    root = openSync(`/proc/${pid}/root`, O_PATH | constants.O_DIRECTORY);
  } catch {
    return null; // the process is gone, or is not ours to look into
  }
  try {
    const flags = O_PATH | O_CLOEXEC | (follow ? 0 : constants.O_NOFOLLOW);
    const fd = openat2(root, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    try {
      const st = fstatSync(fd, { bigint: true });
      if (want === 'file' && !st.isFile()) return null;
      if (want === 'directory' && !st.isDirectory()) return null;
      if (want !== 'inode' && !readableBy(st, fsuid, fsgid)) return null;
      return use(fd, st);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  } finally {
    closeSync(root);
  }
}

/** Reopens an O_PATH fd for reading: through our own /proc/self/fd, never blocking. */
function reopen(fd: number, st: BigIntStats, extra = 0): number {
  const readable = openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | extra);
  const again = fstatSync(readable, { bigint: true });
  if (again.dev !== st.dev || again.ino !== st.ino) {
    closeSync(readable);
    throw new Error('the file changed under its fd'); // cannot happen: the same open file; cheap to be sure
  }
  return readable;
}

/** The text of `path` as process `pid` sees it: a regular file of at most `limit` bytes it may read; else null. */
export function readFileAs(pid: number, path: string, limit = LAB_FILE_LIMIT): string | null {
  return withFileAs(pid, path, 'file', true, (fd, st) => {
    const readable = reopen(fd, st);
    try {
      return readAtMost(readable, limit)?.toString('utf8') ?? null;
    } finally {
      closeSync(readable);
    }
  });
}

/** stat(2) of `path` as process `pid` sees it (symlinks followed, inside its root), or null. */
export function statAs(pid: number, path: string): BigIntStats | null {
  // Metadata only, as stat(2) needs no read permission on the file itself.
  return withFileAs(pid, path, 'inode', true, (_fd, st) => st);
}

export function existsAs(pid: number, path: string): boolean {
  return statAs(pid, path) !== null;
}

/** The entries of directory `path` as process `pid` sees it (at most LIST_LIMIT), or null. */
export function listAs(pid: number, path: string): string[] | null {
  return withFileAs(pid, path, 'directory', true, (fd, st) => {
    const readable = reopen(fd, st, constants.O_DIRECTORY);
    try {
      // readdir through our own fd: /proc/self/fd/<n> is the directory already opened.
      const dir = opendirSync(`/proc/self/fd/${readable}`);
      try {
        const names: string[] = [];
        for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
          if (names.length === LIST_LIMIT) return null;
          names.push(entry.name);
        }
        return names;
      } finally {
        dir.closeSync();
      }
    } finally {
      closeSync(readable);
    }
  });
}

/** The target of the symlink `path` (not followed) as process `pid` sees it, or null. */
export function readlinkAs(pid: number, path: string): string | null {
  return withFileAs(pid, path, 'inode', false, (fd, st) => (st.isSymbolicLink() ? readlinkFd(fd) : null));
}

/** The unique (never reused) id of the mount `path` is on, as process `pid` sees it; null if gone. */
export function mountIdAs(pid: number, path: string): bigint | null {
  return withFileAs(pid, path, 'inode', true, (fd) => uniqueMountId(fd));
}
