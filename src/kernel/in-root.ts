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
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readdirSync, type BigIntStats } from 'node:fs';
import { RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2, readlinkFd, uniqueMountId } from '../../native/libc.ts';
import { readStatus } from './proc.ts';

/** open(2) O_PATH: a handle to the file itself, enough for fstat and readlinkat. */
const O_PATH = 0o10000000;
/** open(2) O_CLOEXEC (Node does not export it): no child process may inherit these fds. */
const O_CLOEXEC = 0o2000000;

/** Whether a process with filesystem `uid`/`gid` may read (and, for a directory, search) the file. */
function readableBy(st: BigIntStats, uid: number, gid: number): boolean {
  const need = st.isDirectory() ? 0o5n : 0o4n;
  if (st.uid === BigInt(uid)) return ((st.mode >> 6n) & need) === need;
  if (st.gid === BigInt(gid)) return ((st.mode >> 3n) & need) === need;
  return (st.mode & need) === need;
}

function withFileAs<T>(pid: number, path: string, flags: number, use: (fd: number) => T, checkReadable = true): T | null {
  const status = readStatus(pid);
  const fsuid = status?.uid[3];
  const fsgid = status?.gid[3];
  if (fsuid === undefined || fsgid === undefined) return null;
  let root: number;
  try {
    root = openSync(`/proc/${pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch {
    return null; // the process is gone, or is not ours to look into
  }
  try {
    const fd = openat2(root, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    try {
      if (checkReadable && !readableBy(fstatSync(fd, { bigint: true }), fsuid, fsgid)) return null;
      return use(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  } finally {
    closeSync(root);
  }
}

/** The text of `path` as process `pid` sees it, or null. */
export function readFileAs(pid: number, path: string): string | null {
  return withFileAs(pid, path, constants.O_RDONLY, (fd) => readFileSync(fd, 'utf8'));
}

/** stat(2) of `path` as process `pid` sees it (symlinks followed, inside its root), or null. */
export function statAs(pid: number, path: string): BigIntStats | null {
  // Metadata only, as stat(2) needs no read permission on the file itself.
  return withFileAs(pid, path, O_PATH, (fd) => fstatSync(fd, { bigint: true }), false);
}

export function existsAs(pid: number, path: string): boolean {
  return statAs(pid, path) !== null;
}

/** The entries of directory `path` as process `pid` sees it, or null. */
export function listAs(pid: number, path: string): string[] | null {
  // readdir through our own fd: /proc/self/fd/<n> is the directory already opened.
  return withFileAs(pid, path, constants.O_RDONLY | constants.O_DIRECTORY, (fd) => readdirSync(`/proc/self/fd/${fd}`));
}

/** The target of the symlink `path` (not followed) as process `pid` sees it, or null. */
export function readlinkAs(pid: number, path: string): string | null {
  return withFileAs(pid, path, O_PATH | constants.O_NOFOLLOW, readlinkFd, false);
}

/** The unique (never reused) id of the mount `path` is on, as process `pid` sees it; null if gone. */
export function mountIdAs(pid: number, path: string): bigint | null {
  return withFileAs(pid, path, O_PATH, (fd) => uniqueMountId(fd), false);
}
