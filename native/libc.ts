/**
 * koffi bindings to the few libc calls that are safe from Node's (multi-threaded) process.
 *
 * Only synchronous calls: koffi's async calls run on other threads, and a namespace call made
 * from the wrong thread silently affects only that thread. Entering user or mount namespaces is
 * never done here: the kernel refuses setns/unshare of those from a threaded process (EINVAL,
 * see setns(2) and unshare(2)); util-linux nsenter/unshare do it in a single-threaded child.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import type { IKoffiLib } from 'koffi';

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

type Koffi = typeof import('koffi');
let native: { readonly koffi: Koffi; readonly libc: IKoffiLib } | undefined;

/**
 * koffi and libc, loaded at the first call and not with this module: loading koffi costs
 * 15-25 ms (measured), and the lab world's spawn, which imports this module, makes no call in
 * the common case (src/world/world.ts, closeInheritedFdsOnExec). require(), not import: see
 * scripts/bundle.mjs (requireNatives) for why.
 */
function loaded(): { readonly koffi: Koffi; readonly libc: IKoffiLib } {
  if (!native) {
    const koffi = createRequire(import.meta.url)('koffi') as Koffi;
    native = { koffi, libc: koffi.load('libc.so.6') };
  }
  return native;
}

/** A libc function, declared (koffi prototype syntax) at its first call. */
function libcFunc(prototype: string): (...args: unknown[]) => unknown {
  let fn: ((...args: unknown[]) => unknown) | undefined;
  return (...args) => (fn ??= loaded().libc.func(prototype) as (...a: unknown[]) => unknown)(...args);
}

/**
 * The one error path for every libc call: clear errno, call, and on -1 throw a SyscallError
 * built from the errno the call left behind.
 */
function checked(call: string, args: readonly unknown[], invoke: () => number): number {
  const { koffi } = loaded();
  koffi.errno(0);
  const result = invoke();
  if (result === -1) throw new SyscallError(call, koffi.errno(), args);
  return result;
}

const tcgetpgrpFn = libcFunc('int tcgetpgrp(int fd)');

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
const syscallFn = libcFunc('long syscall(long number, ...)');
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

const readlinkatFn = libcFunc('long readlinkat(int dirfd, const char *path, _Out_ uint8_t *buf, size_t size)');

/** The target of the symlink `fd` refers to (opened with O_PATH | O_NOFOLLOW), readlinkat(2) with "". */
export function readlinkFd(fd: number): string {
  const buf = Buffer.alloc(4096);
  const length = checked('readlinkat', [fd, ''], () => Number(readlinkatFn(fd, '', buf, buf.length)));
  return buf.subarray(0, length).toString('utf8');
}

const fcntlFn = libcFunc('int fcntl(int fd, int cmd, ...)');
const F_GETFD = 1;
const F_SETFD = 2;
const F_GETFL = 3;
const FD_CLOEXEC = 1;
const O_NONBLOCK = 0o4000;

/** Whether `fd` is in non-blocking mode (fcntl(2) F_GETFL, O_NONBLOCK). */
export function isNonBlocking(fd: number): boolean {
  return ((checked('fcntl', [fd, 'F_GETFL'], () => fcntlFn(fd, F_GETFL) as number)) & O_NONBLOCK) !== 0;
}

/**
 * Marks `fd` close-on-exec (fcntl(2) F_SETFD), so that no program nslab starts inherits it.
 * node-pty leaves its PTY master fds inheritable; without this each pane's shell would hold
 * the other pane's master and could type into it.
 */
export function setCloseOnExec(fd: number): void {
  const flags = checked('fcntl', [fd, 'F_GETFD'], () => fcntlFn(fd, F_GETFD) as number);
  checked('fcntl', [fd, 'F_SETFD', flags | FD_CLOEXEC], () => fcntlFn(fd, F_SETFD, 'int', flags | FD_CLOEXEC) as number);
}


// ---------------------------------------------------------------------------------------------
// Mount ids and mount namespaces (Linux 6.8+: statx STATX_MNT_ID_UNIQUE, listmount, statmount;
// 6.11+: a mount namespace named by id, NS_GET_MNTNS_ID). Everything here only reads.

const statxFn = libcFunc('int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ uint8_t *buf)');
/** statx(2) mask bit: the 64-bit mount id that the kernel never reuses (Linux 6.8). */
const STATX_MNT_ID_UNIQUE = 0x4000;
/** Offset of stx_mnt_id in struct statx (include/uapi/linux/stat.h). */
const STX_MNT_ID_OFFSET = 144;
const AT_EMPTY_PATH = 0x1000;

/**
 * The unique id of the mount `fd` (or `path` relative to it) is on: statx(2) with
 * STATX_MNT_ID_UNIQUE. null when the kernel is too old to give the unique one.
 */
export function uniqueMountId(fd: number, path = ''): bigint | null {
  const buf = Buffer.alloc(256);
  checked('statx', [fd, path], () => statxFn(fd, path, path ? 0 : AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, buf) as number);
  return (buf.readUInt32LE(0) & STATX_MNT_ID_UNIQUE) !== 0 ? buf.readBigUInt64LE(STX_MNT_ID_OFFSET) : null;
}

/** ioctl_ns(2) NS_GET_MNTNS_ID = _IOR(0xb7, 5, __u64): the id listmount/statmount name a mount namespace by. */
const NS_GET_MNTNS_ID = 0x8008b705;

/** The 64-bit id of the mount namespace `fd` (an open /proc/<pid>/ns/mnt) refers to. */
export function mountNamespaceId(fd: number): bigint {
  const out = Buffer.alloc(8);
  checked('ioctl', [fd, 'NS_GET_MNTNS_ID'], () => ioctlFn(fd, NS_GET_MNTNS_ID, 'void *', out) as number);
  return out.readBigUInt64LE(0);
}

// listmount(2) and statmount(2) have the same numbers on every architecture but alpha and mips.
const SYS_STATMOUNT = 457;
const SYS_LISTMOUNT = 458;
/** listmount from the namespace's root: every mount of the namespace. */
const LSMT_ROOT = 0xffffffffffffffffn;
const STATMOUNT_SB_BASIC = 0x1;
const STATMOUNT_MNT_BASIC = 0x2;
const STATMOUNT_MNT_ROOT = 0x8;
const STATMOUNT_MNT_POINT = 0x10;
const STATMOUNT_FS_TYPE = 0x20;
/** struct statmount is 512 bytes; the strings it points into follow it. */
const STATMOUNT_STR_OFFSET = 512;

/** struct mnt_id_req, MNT_ID_REQ_SIZE_VER1: size, spare, mnt_id, param, mnt_ns_id. */
function mntIdReq(mntId: bigint, param: bigint, nsId: bigint): Buffer {
  const req = Buffer.alloc(32);
  req.writeUInt32LE(32, 0);
  req.writeBigUInt64LE(mntId, 8);
  req.writeBigUInt64LE(param, 16);
  req.writeBigUInt64LE(nsId, 24);
  return req;
}

/** Unique ids of every mount of mount namespace `nsId`, ascending (listmount(2) from LSMT_ROOT). */
export function listMounts(nsId: bigint): bigint[] {
  const result: bigint[] = [];
  const ids = Buffer.alloc(8 * 256);
  let last = 0n;
  for (;;) {
    const req = mntIdReq(LSMT_ROOT, last, nsId);
    const n = checked('listmount', [String(nsId)], () => Number(syscallFn(SYS_LISTMOUNT, 'void *', req, 'void *', ids, 'size_t', 256, 'unsigned int', 0)));
    for (let i = 0; i < n; i++) result.push(ids.readBigUInt64LE(8 * i));
    if (n < 256) return result;
    last = result.at(-1)!;
  }
}

export interface StatMount {
  readonly id: bigint;
  readonly parentId: bigint;
  /** The short id /proc/<pid>/mountinfo shows (reused). */
  readonly oldId: number;
  readonly devMajor: number;
  readonly devMinor: number;
  /** MS_SHARED etc. (mnt_propagation) and the peer group / master ids. */
  readonly propagation: bigint;
  readonly peerGroup: bigint;
  readonly master: bigint;
  readonly fsType: string;
  /** The directory of the filesystem that is this mount's root. */
  readonly root: string;
  /** Where it is mounted, relative to the namespace's root. */
  readonly mountPoint: string;
}

/** statmount(2) of mount `id` in namespace `nsId`. */
export function statMount(id: bigint, nsId: bigint): StatMount {
  const req = mntIdReq(id, BigInt(STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE), nsId);
  const buf = Buffer.alloc(STATMOUNT_STR_OFFSET + 8192);
  checked('statmount', [String(id), String(nsId)], () => Number(syscallFn(SYS_STATMOUNT, 'void *', req, 'void *', buf, 'size_t', buf.length, 'unsigned int', 0)));
  const str = (offset: number) => {
    const start = STATMOUNT_STR_OFFSET + offset;
    return buf.toString('utf8', start, buf.indexOf(0, start));
  };
  return {
    id: buf.readBigUInt64LE(40),
    parentId: buf.readBigUInt64LE(48),
    oldId: buf.readUInt32LE(56),
    devMajor: buf.readUInt32LE(16),
    devMinor: buf.readUInt32LE(20),
    propagation: buf.readBigUInt64LE(72),
    peerGroup: buf.readBigUInt64LE(80),
    master: buf.readBigUInt64LE(88),
    fsType: str(buf.readUInt32LE(36)),
    root: str(buf.readUInt32LE(104)),
    mountPoint: str(buf.readUInt32LE(108)),
  };
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

const ioctlFn = libcFunc('int ioctl(int fd, unsigned long request, ...)');
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
