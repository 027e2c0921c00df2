/**
 * Kernel facts that many checks ask about, phrased the way the panel reports them. Each reads
 * /proc from the real machine; none trusts anything typed in a pane.
 */
import { statAs } from '../kernel/in-root.ts';
import { findMount, readMountinfo, type MountEntry } from '../kernel/mountinfo.ts';
import { compareNamespaces, readNamespaces, type NsType } from '../kernel/namespaces.ts';
import { parseStatStartTime, readComm, readStartTime, readStatus, rootIdentity, sameIdentity, type FileIdentity } from '../kernel/proc.ts';
import { printable } from '../printable.ts';
import { LAB_HOST_PID_LEVEL } from '../world/world.ts';
import type { CheckContext } from './context.ts';

/** dev+ino of `path` as process `pid` sees it (its root, its mounts); null when either is gone. */
export function identityAs(pid: number, path: string): FileIdentity | null {
  const st = statAs(pid, path);
  return st && { dev: st.dev, ino: st.ino };
}

/** The lab host's root mount (the visible one at "/" in its mountinfo): the filesystem of the lab host's own files. */
export function labHostRootMount(ctx: CheckContext): MountEntry | undefined {
  const mounts = readMountinfo(ctx.labHost);
  return mounts ? findMount(mounts, '/') : undefined;
}

/** The pid the lab host knows a process by (its NSpid entry at the lab host's level); null when gone. */
export function labHostPidOf(pid: number): number | null {
  return readStatus(pid)?.nspid[LAB_HOST_PID_LEVEL] ?? null;
}

/** Whether `pid` has its own namespace of `type`, or shares the lab host's. */
export function namespaceOf(ctx: CheckContext, pid: number, type: NsType): 'own' | 'shared' | 'unknown' {
  return compareNamespaces(readNamespaces(pid), readNamespaces(ctx.labHost))[type];
}

/** Whether two processes share a namespace of `type`. */
export function shareNamespace(a: number, b: number, type: NsType): boolean {
  return compareNamespaces(readNamespaces(a), readNamespaces(b))[type] === 'shared';
}

/** What a process's root directory is: the lab host's root, the container rootfs, or elsewhere. */
export function rootKind(ctx: CheckContext, pid: number): 'lab-host' | 'rootfs' | 'other' | 'gone' {
  const root = rootIdentity(pid);
  if (!root) return 'gone';
  if (sameIdentity(root, rootIdentity(ctx.labHost))) return 'lab-host';
  if (sameIdentity(root, identityAs(ctx.labHost, ctx.rootfs))) return 'rootfs';
  return 'other';
}

export const ROOT_KIND_TEXT: Record<ReturnType<typeof rootKind>, string> = {
  'lab-host': "the lab host's root",
  rootfs: 'the container rootfs ($ROOTFS)',
  other: 'a directory that is neither the lab host\'s root nor $ROOTFS',
  gone: 'no process (it has exited)',
};

/** The pids a process sees in its own /proc (what `ls /proc` would list there), or null if no proc is mounted. */
export function visiblePids(ctx: CheckContext, pid: number): number[] | null {
  const entries = ctx.listAs(pid, '/proc');
  if (!entries || !entries.includes('self')) return null;
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/**
 * Whether `viewer`'s /proc shows, under the number `nsPid`, the process nslab knows as `real`:
 * the same comm and start time (stat field 22), which every pid namespace's view of a process shares.
 */
export function seesAs(ctx: CheckContext, viewer: number, nsPid: number, real: number): boolean {
  const seen = ctx.readFileAs(viewer, `/proc/${nsPid}/stat`);
  const start = seen === null ? null : parseStatStartTime(seen);
  if (seen === null || start === null) return false;
  const comm = seen.slice(seen.indexOf('(') + 1, seen.lastIndexOf(')'));
  return start === readStartTime(real) && comm === readComm(real);
}

/** "bash (pid 1234)" for messages; pids are real ones, as nslab sees them. */
export function describeProcess(pid: number | null): string {
  if (pid === null) return 'no process (the pane has exited)';
  const comm = readComm(pid);
  return comm === null ? `pid ${pid} (gone)` : `${printable(comm)} (pid ${pid})`;
}
