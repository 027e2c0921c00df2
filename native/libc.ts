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
