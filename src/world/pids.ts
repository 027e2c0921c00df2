/** Finding lab processes from the real machine, through /proc. */
import { readdirSync, readFileSync } from 'node:fs';

/** Direct children of a process (proc(5): /proc/<pid>/task/<tid>/children). */
export function childrenOf(pid: number): number[] {
  const result: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return result;
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const child of text.split(/\s+/)) result.push(Number(child));
    } catch {
      // the task ended while we looked
    }
  }
  return result;
}

/** Every descendant of `pid` (children first, then theirs). */
export function descendantsOf(pid: number): number[] {
  const result: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift()!)) {
      result.push(child);
      queue.push(child);
    }
  }
  return result;
}

/** The pids of a process in each pid namespace it is a member of, outermost (the reader's) first. */
export function namespacePids(pid: number): number[] | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const line = /^NSpid:\s*(.*)$/m.exec(status)?.[1];
    return line ? line.trim().split(/\s+/).map(Number) : null;
  } catch {
    return null;
  }
}

/**
 * The real pid of the process in the tree under `treeRoot` that is known as `nestedPid` at
 * nesting `level` of the pid namespaces (0 = the real machine, 2 = the lab host). Searching one
 * tree keeps two lab worlds, whose lab hosts reuse the same small pids, apart.
 */
export function findRealPid(treeRoot: number, nestedPid: number, level: number): number | null {
  for (const pid of [treeRoot, ...descendantsOf(treeRoot)]) {
    if (namespacePids(pid)?.[level] === nestedPid) return pid;
  }
  return null;
}
