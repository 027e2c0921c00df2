/**
 * What a pane's title says about the process in its foreground: which program, where its root
 * is, and which namespaces it has of its own. All of it is read from the kernel (the root's
 * identity, mountinfo, /proc/<pid>/ns), never from what was typed.
 */
import { statAs } from '../kernel/in-root.ts';
import { findMount, readMountinfo } from '../kernel/mountinfo.ts';
import { NS_TYPES, compareNamespaces, readNamespaces, type NsType } from '../kernel/namespaces.ts';
import { readComm, readProcLink, readStatus, rootIdentity, sameIdentity } from '../kernel/proc.ts';
import { printable } from '../printable.ts';
import { fitWidth } from '../term/width.ts';
import { LAB_HOST_ROOTFS } from '../world/world.ts';

/** Where a process's root is: the lab host's "/", $ROOTFS (by chroot or by pivot_root), or elsewhere. */
export type RootPlace = 'lab-host' | 'chroot' | 'pivot' | 'elsewhere' | 'unknown';

export interface PaneTitle {
  readonly command: string;
  readonly root: RootPlace;
  /** Namespaces it shares with the lab host. */
  readonly shared: readonly NsType[];
  /** Namespaces of its own (different from the lab host's). */
  readonly own: readonly NsType[];
}

export const ROOT_PLACE_TEXT: Record<RootPlace, string> = {
  'lab-host': "lab host's /",
  chroot: '$ROOTFS (chroot)',
  pivot: '$ROOTFS (pivot_root)',
  elsewhere: 'elsewhere',
  unknown: '?',
};

export function paneTitle(pid: number, labHostPid: number): PaneTitle | null {
  const mine = readNamespaces(pid);
  const host = readNamespaces(labHostPid);
  if (!mine || !host) return null;
  const relation = compareNamespaces(mine, host);
  return {
    command: printable(readComm(pid) ?? '?'),
    root: rootPlace(pid, labHostPid),
    shared: NS_TYPES.filter((t) => relation[t] === 'shared'),
    own: NS_TYPES.filter((t) => relation[t] === 'own'),
  };
}

/**
 * The root's identity (stat of /proc/<pid>/root/: dev+ino) against the lab host's root and its
 * $ROOTFS (resolved inside the lab host's root, never through a symlink to nslab's own).
 * When it is $ROOTFS, how it got there:
 * - pivot_root(2) changes the root of every process of the mount namespace that had the old
 *   one, and the lab host keeps its own root: so a process that shares the lab host's mount
 *   namespace, or whose ancestor in its own mount namespace has another root, was chrooted;
 * - otherwise pivoted when its root is a mount of its namespace: mount points in
 *   /proc/<pid>/mountinfo are relative to the process's root and mounts outside it are left
 *   out (proc(5)), so a mount at "/" on the root's device is the one it pivoted onto; a chroot
 *   into a plain directory has none.
 * (Left ambiguous: the first process of a new mount namespace chrooting into a $ROOTFS that is
 * a mount. The labs' checks, not this title, decide verdicts.)
 */
export function rootPlace(pid: number, labHostPid: number): RootPlace {
  const root = rootIdentity(pid);
  if (!root) return 'unknown';
  if (sameIdentity(root, rootIdentity(labHostPid))) return 'lab-host';
  const rootfs = statAs(labHostPid, LAB_HOST_ROOTFS);
  if (!rootfs || !sameIdentity(root, { dev: rootfs.dev, ino: rootfs.ino })) return 'elsewhere';
  const mnt = readProcLink(pid, 'ns/mnt');
  if (mnt === null) return 'unknown';
  if (mnt === readProcLink(labHostPid, 'ns/mnt')) return 'chroot';
  for (let p = readStatus(pid)?.ppid ?? 0, depth = 0; p > 1 && depth < 16; p = readStatus(p)?.ppid ?? 0, depth++) {
    if (readProcLink(p, 'ns/mnt') !== mnt) break;
    if (!sameIdentity(rootIdentity(p), root)) return 'chroot';
  }
  const top = findMount(readMountinfo(pid) ?? [], '/');
  return top && makeDev(top.major, top.minor) === root.dev ? 'pivot' : 'chroot';
}

/** st_dev from major:minor as glibc's makedev(3) packs it (what stat(2) returns). */
function makeDev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return (mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n);
}

/**
 * The two title lines of a pane, fitted to `width` columns: the program and where its root
 * is; its own and shared namespaces. The program's name gives way first (it is the one the
 * student can also see at the prompt).
 */
export function titleLines(name: string, focused: boolean, title: PaneTitle | null, exited: boolean, width: number): [string, string] {
  const mark = focused ? '▶ ' : '  ';
  if (exited) return [fit(`${mark}${name} (exited)`, width), ''];
  if (!title) return [fit(`${mark}${name}`, width), ''];
  const root = ` · root: ${ROOT_PLACE_TEXT[title.root]}`;
  const room = width - mark.length - name.length - root.length - 3;
  const command = room >= 2 ? ` · ${fit(title.command, room)}` : '';
  const first = fit(`${mark}${name}${command}${root}`, width);
  const own = title.own.length ? title.own.join(' ') : 'none (all shared with the lab host)';
  const shared = title.own.length && title.shared.length ? ` · shared: ${title.shared.join(' ')}` : '';
  return [first, fit(`  own: ${own}${shared}`, width)];
}

/** Cuts text to `width` columns with "…" (a process name may hold wide characters). */
const fit = (text: string, width: number) => fitWidth(text, width);
