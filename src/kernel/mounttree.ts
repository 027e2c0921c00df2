/**
 * A mount namespace's whole tree, hidden parts included, from listmount(2) and statmount(2)
 * (Linux 6.8; a namespace named by id since 6.11).
 *
 * /proc/<pid>/mountinfo cannot answer "pivoted or chrooted?": it lists only the mounts reachable
 * from the process's root, with paths relative to it (proc_pid_mountinfo(5)), so a chroot into
 * a bind mount looks exactly like a pivot, and the lab host's root, still mounted underneath,
 * does not show. listmount of a namespace lists every mount in it; statmount gives each one's
 * parent, so the tree is there: pivot_root(2) attaches the new root directly to the namespace's
 * absolute root (the mount that is its own parent), `mount --move . /` stacks it on the old root.
 *
 * nslab may list a namespace it is not in when it has CAP_SYS_ADMIN over the namespace's user
 * namespace: real root has, and so has the ordinary user who owns the lab's user namespaces
 * (user_namespaces(7): the owner of a namespace has every capability in its descendants).
 */
import { closeSync, constants, openSync } from 'node:fs';
import { listMounts, mountNamespaceId, statMount, uniqueMountId, SyscallError, type StatMount } from '../../native/libc.ts';
import { procPath } from './proc.ts';

/** open(2) O_CLOEXEC (Node does not export it): no child may inherit the fd. */
const O_CLOEXEC = 0o2000000;

export type MountNode = StatMount;

/** MS_SHARED, MS_SLAVE, MS_UNBINDABLE as statmount reports them in mnt_propagation. */
export const MS_UNBINDABLE = 1n << 17n;
export const MS_SLAVE = 1n << 19n;
export const MS_SHARED = 1n << 20n;

const GONE = new Set(['ENOENT', 'ESRCH', 'EINVAL']);

function gone(error: unknown): boolean {
  const code = error instanceof SyscallError ? error.code : (error as NodeJS.ErrnoException).code;
  return code !== undefined && GONE.has(code);
}

/**
 * Every mount of `pid`'s mount namespace, the absolute root first; null when the process is
 * gone. Throws (SyscallError ENOSYS) on kernels without listmount of another namespace.
 */
export function readMountTree(pid: number): MountNode[] | null {
  let fd: number;
  try {
    fd = openSync(procPath(pid, 'ns/mnt'), constants.O_RDONLY | O_CLOEXEC);
  } catch (error) {
    if (gone(error)) return null;
    throw error;
  }
  try {
    const ns = mountNamespaceId(fd);
    const ids = listMounts(ns);
    const nodes: MountNode[] = [];
    for (const id of ids) {
      try {
        nodes.push(statMount(id, ns));
      } catch (error) {
        if (!gone(error)) throw error; // unmounted between the two calls
      }
    }
    // listmount leaves out the absolute root itself (the namespace's first mount): add it.
    const known = new Set(nodes.map((n) => n.id));
    const absolute = nodes.find((n) => !known.has(n.parentId));
    if (absolute) {
      try {
        nodes.unshift(statMount(absolute.parentId, ns));
      } catch (error) {
        if (!gone(error)) throw error;
      }
    }
    return nodes;
  } catch (error) {
    if (gone(error)) return null;
    throw error;
  } finally {
    closeSync(fd);
  }
}

/** The unique id of the mount the process's root directory is on; null when gone. */
export function rootMountId(pid: number): bigint | null {
  let fd: number;
  try {
    fd = openSync(procPath(pid, 'root'), constants.O_RDONLY | constants.O_DIRECTORY | O_CLOEXEC);
  } catch (error) {
    if (gone(error)) return null;
    throw error;
  }
  try {
    return uniqueMountId(fd);
  } finally {
    closeSync(fd);
  }
}

/** The namespace's absolute root: the mount that is its own parent. */
export function absoluteRoot(tree: readonly MountNode[]): MountNode | undefined {
  return tree.find((n) => n.parentId === n.id);
}

/** The ancestors of a mount, nearest first, up to and including the absolute root. */
export function ancestors(tree: readonly MountNode[], id: bigint): MountNode[] {
  const byId = new Map(tree.map((n) => [n.id, n]));
  const result: MountNode[] = [];
  let node = byId.get(id);
  while (node && node.parentId !== node.id) {
    node = byId.get(node.parentId);
    if (node) result.push(node);
  }
  return result;
}
