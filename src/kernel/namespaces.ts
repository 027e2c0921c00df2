/**
 * Which namespaces a process is in: readlink of /proc/<pid>/ns/<type> (namespaces(7)) gives
 * "<type>:[<inode>]"; two processes share a namespace exactly when the links are equal.
 * (time and pid_for_children are left out: the labs never create them.)
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { nsGetParent } from '../../native/libc.ts';
import { isAlive, readProcLink } from './proc.ts';

/** open(2) O_CLOEXEC (Node does not export it). */
const O_CLOEXEC = 0o2000000;

export const NS_TYPES = ['mnt', 'pid', 'net', 'uts', 'ipc', 'user', 'cgroup'] as const;
export type NsType = (typeof NS_TYPES)[number];

export type Namespaces = Record<NsType, string | null>;
export type NsRelation = 'shared' | 'own' | 'unknown';

/**
 * The namespace links of `pid`, e.g. { net: "net:[4026531840]", ... }. A type the kernel does not
 * have (or a link that vanished mid-read) is null. The whole result is null when the process is
 * gone, including a zombie: a zombie has lost its mnt, net, uts, ipc and cgroup links but still
 * shows pid and user (verified on 6.x), a half answer no check should rely on.
 */
export function readNamespaces(pid: number): Namespaces | null {
  if (!isAlive(pid)) return null;
  const result = {} as Namespaces;
  let any = false;
  for (const type of NS_TYPES) {
    const link = readProcLink(pid, `ns/${type}`);
    result[type] = link;
    if (link !== null) any = true;
  }
  return any ? result : null;
}

/** The inode of a namespace link ("net:[4026531840]" → 4026531840); null if malformed. */
export function namespaceInode(link: string): number | null {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/**
 * For each type: "shared" when both processes are in the same namespace, "own" when they are in
 * different ones, "unknown" when either side could not be read.
 */
export function compareNamespaces(a: Namespaces | null, b: Namespaces | null): Record<NsType, NsRelation> {
  const result = {} as Record<NsType, NsRelation>;
  for (const type of NS_TYPES) {
    const x = a?.[type] ?? null;
    const y = b?.[type] ?? null;
    result[type] = x === null || y === null ? 'unknown' : x === y ? 'shared' : 'own';
  }
  return result;
}

/**
 * The inodes of `pid`'s pid namespace and of each of its ancestors, innermost first (ioctl_ns(2)
 * NS_GET_PARENT, which stops with EPERM above nslab's own namespace); null when the process is
 * gone. A process is inside namespace N, and so visible and signalable from it (pid_namespaces(7)),
 * exactly when N is in this list.
 */
export function pidNamespaceAncestry(pid: number): number[] | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/ns/pid`, constants.O_RDONLY | O_CLOEXEC);
  } catch {
    return null;
  }
  const chain: number[] = [];
  try {
    for (;;) {
      chain.push(Number(fstatSync(fd).ino));
      const parent = nsGetParent(fd);
      if (parent === null) return chain;
      closeSync(fd);
      fd = parent;
    }
  } finally {
    closeSync(fd);
  }
}
