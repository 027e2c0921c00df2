/** Finding lab processes from the real machine, through /proc. */
import { listChildren, readStatus } from '../kernel/proc.ts';

/** Every descendant of `pid` (children first, then theirs). */
export function descendantsOf(pid: number): number[] {
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of listChildren(queue.shift()!) ?? []) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

/**
 * The real pid of the process in the tree under `treeRoot` that is known as `nestedPid` at
 * nesting `level` of the pid namespaces (0 = the real machine, 2 = the lab host): field `level`
 * of the NSpid line of its status (proc(5)). Searching one tree keeps two lab worlds, whose
 * lab hosts reuse the same small pids, apart.
 */
export function findRealPid(treeRoot: number, nestedPid: number, level: number): number | null {
  for (const pid of [treeRoot, ...descendantsOf(treeRoot)]) {
    if (readStatus(pid)?.nspid[level] === nestedPid) return pid;
  }
  return null;
}
