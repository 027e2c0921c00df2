/**
 * Kernel facts that many checks ask about, phrased the way the panel reports them. Each reads
 * /proc from the real machine; none trusts anything typed in a pane.
 */
import { statAs } from '../kernel/in-root.ts';
import { compareNamespaces, readNamespaces, type NsType } from '../kernel/namespaces.ts';
import { readComm, rootIdentity, sameIdentity } from '../kernel/proc.ts';
import { printable } from '../printable.ts';
import type { CheckContext } from './context.ts';

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
  const rootfs = statAs(ctx.labHost, ctx.rootfs);
  if (rootfs && sameIdentity(root, { dev: rootfs.dev, ino: rootfs.ino })) return 'rootfs';
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

/** "bash (pid 1234)" for messages; pids are real ones, as nslab sees them. */
export function describeProcess(pid: number | null): string {
  if (pid === null) return 'no process (the pane has exited)';
  const comm = readComm(pid);
  return comm === null ? `pid ${pid} (gone)` : `${printable(comm)} (pid ${pid})`;
}
