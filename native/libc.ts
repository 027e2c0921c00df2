/**
 * koffi bindings to the few libc calls that are safe from Node's (multi-threaded) process.
 *
 * Only synchronous calls: koffi's async calls run on other threads, and a namespace call made
 * from the wrong thread silently affects only that thread. Entering user or mount namespaces is
 * never done here: the kernel refuses setns/unshare of those from a threaded process (EINVAL,
 * see setns(2) and unshare(2)); util-linux nsenter/unshare do it in a single-threaded child.
 */
import { constants } from 'node:os';
import koffi from 'koffi';

/** A failed libc call: names the call, the errno name and the arguments. */
export class SyscallError extends Error {
  override readonly name = 'SyscallError';
  constructor(
    readonly call: string,
    readonly errno: number,
    readonly args: readonly unknown[],
  ) {
    super(`${call}(${args.map((a) => JSON.stringify(a)).join(', ')}) failed: ${errnoName(errno)}`);
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

const libc = koffi.load('libc.so.6');

/**
 * The one error path for every libc call: clear errno, call, and on -1 throw a SyscallError
 * built from the errno the call left behind.
 */
function checked(call: string, args: readonly unknown[], invoke: () => number): number {
  koffi.errno(0);
  const result = invoke();
  if (result === -1) throw new SyscallError(call, koffi.errno(), args);
  return result;
}

const tcgetpgrpFn = libc.func('int tcgetpgrp(int fd)');

/**
 * The foreground process group of the terminal whose master side is `fd`, as a pid in
 * nslab's own pid namespace (the kernel translates it, see tcgetpgrp(3) and
 * TIOCGPGRP in tty_ioctl(4)). This is what the user is running in that pane right now.
 */
export function tcgetpgrp(fd: number): number {
  return checked('tcgetpgrp', [fd], () => tcgetpgrpFn(fd) as number);
}

// openat2(2) has no glibc wrapper on Debian 12; it has the same number on every architecture
// (it was added after the syscall tables were unified, see include/uapi/asm-generic/unistd.h).
const SYS_OPENAT2 = 437;
const syscallFn = libc.func('long syscall(long number, ...)');
/** Resolve the path as if `dirfd` were the root: absolute symlinks and ".." stay inside it. */
export const RESOLVE_IN_ROOT = 0x10;
/** Refuse /proc magic links (/proc/<pid>/root, /fd/<n>, /exe): they jump to other trees. */
export const RESOLVE_NO_MAGICLINKS = 0x02;

/**
 * openat2(2): opens `path` relative to `dirfd` with the `resolve` restrictions; returns an fd.
 * `struct open_how` is three u64: flags, mode, resolve.
 */
export function openat2(dirfd: number, path: string, flags: number, resolve: number): number {
  const how = Buffer.alloc(24);
  how.writeBigUInt64LE(BigInt(flags), 0);
  how.writeBigUInt64LE(BigInt(resolve), 16);
  return checked('openat2', [dirfd, path, flags, resolve], () =>
    Number(syscallFn(SYS_OPENAT2, 'int', dirfd, 'str', path, 'void *', how, 'size_t', how.length)),
  );
}

const readlinkatFn = libc.func('long readlinkat(int dirfd, const char *path, _Out_ uint8_t *buf, size_t size)');

/** The target of the symlink `fd` refers to (opened with O_PATH | O_NOFOLLOW), readlinkat(2) with "". */
export function readlinkFd(fd: number): string {
  const buf = Buffer.alloc(4096);
  const length = checked('readlinkat', [fd, ''], () => Number(readlinkatFn(fd, '', buf, buf.length)));
  return buf.subarray(0, length).toString('utf8');
}

const fcntlFn = libc.func('int fcntl(int fd, int cmd, ...)');
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * Marks `fd` close-on-exec (fcntl(2) F_SETFD), so that no program nslab starts inherits it.
 * node-pty leaves its PTY master fds inheritable; without this each pane's shell would hold
 * the other pane's master and could type into it.
 */
export function setCloseOnExec(fd: number): void {
  const flags = checked('fcntl', [fd, 'F_GETFD'], () => fcntlFn(fd, F_GETFD) as number);
  checked('fcntl', [fd, 'F_SETFD', flags | FD_CLOEXEC], () => fcntlFn(fd, F_SETFD, 'int', flags | FD_CLOEXEC) as number);
}


// pidfd_open(2) and pidfd_send_signal(2) have no glibc wrapper on Debian 12; like openat2 they
// came after the syscall tables were unified, so the numbers are the same everywhere.
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_SEND_SIGNAL = 424;

/**
 * pidfd_open(2): an fd that refers to process `pid` itself, not to its number. The kernel
 * never points it at another process, so a pid reused after the process exited cannot be
 * mistaken for it. The fd is close-on-exec (the kernel sets O_CLOEXEC on every pidfd).
 */
export function pidfdOpen(pid: number): number {
  return checked('pidfd_open', [pid], () => Number(syscallFn(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0)));
}

/**
 * Whether the process `pidfd` refers to has not exited: pidfd_send_signal(2) with signal 0
 * checks without sending anything (ESRCH once the process has exited, zombie included).
 */
export function pidfdAlive(pidfd: number): boolean {
  try {
    checked('pidfd_send_signal', [pidfd, 0], () => Number(syscallFn(SYS_PIDFD_SEND_SIGNAL, 'int', pidfd, 'int', 0, 'void *', null, 'unsigned int', 0)));
    return true;
  } catch (err) {
    if (err instanceof SyscallError && err.code === 'ESRCH') return false;
    throw err;
  }
}

const ioctlFn = libc.func('int ioctl(int fd, unsigned long request, ...)');
/** ioctl_ns(2) NS_GET_PARENT, _IO(0xb7, 0x2): an fd of the parent of a pid or user namespace. */
const NS_GET_PARENT = 0xb702;

/**
 * The parent of the (pid or user) namespace `nsfd` refers to, as a new fd; null at the top
 * of what the caller may see (EPERM: outside its namespace scope, see ioctl_ns(2)).
 */
export function nsGetParent(nsfd: number): number | null {
  try {
    return checked('ioctl', [nsfd, 'NS_GET_PARENT'], () => ioctlFn(nsfd, NS_GET_PARENT) as number);
  } catch (err) {
    if (err instanceof SyscallError && (err.code === 'EPERM' || err.code === 'ENOENT')) return null;
    throw err;
  }
}
