/**
 * Every process of a lab world, read from the real machine through /proc: the lab host's init
 * and its descendants (planted processes are reparented to it), plus each pane's shell and what
 * it runs (a pane's nsenter parent lives outside the lab host's tree, so its children are
 * walked from the pane's own process).
 */
import { readNamespaces, type Namespaces } from '../kernel/namespaces.ts';
import { readComm, readStartTime, readStatus } from '../kernel/proc.ts';
import { printable } from '../printable.ts';
import { descendantsOf } from '../world/pids.ts';
import { LAB_HOST_PID_LEVEL } from '../world/world.ts';

export interface LabProcess {
  /** The real pid (what nslab reads /proc with). */
  readonly pid: number;
  /** The pid the lab host knows it by (what the student sees in `ps`, `$CPID`). */
  readonly labPid: number | null;
  /** Its pid in its own, innermost pid namespace (1 for a container's first process). */
  readonly innerPid: number | null;
  readonly command: string;
  /** Stat field 22: tells this process from a later one that got the same pid. */
  readonly startTime: string;
  readonly namespaces: Namespaces;
}

export interface ProcessRoots {
  readonly labHost: number;
  /** The pane processes nslab spawned (nsenter), whose descendants are lab processes. */
  readonly panes: readonly number[];
}

export function listLabProcesses(roots: ProcessRoots): LabProcess[] {
  const pids = new Set<number>([roots.labHost, ...descendantsOf(roots.labHost)]);
  for (const pane of roots.panes) for (const pid of descendantsOf(pane)) pids.add(pid);
  const result: LabProcess[] = [];
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const status = readStatus(pid);
    const namespaces = readNamespaces(pid);
    const startTime = readStartTime(pid);
    // Gone meanwhile, or not (or no longer) inside the lab host's pid namespace: not shown.
    if (!status || !namespaces || startTime === null || status.nspid.length <= LAB_HOST_PID_LEVEL) continue;
    result.push({
      pid,
      labPid: status.nspid[LAB_HOST_PID_LEVEL] ?? null,
      innerPid: status.nspid.at(-1) ?? null,
      command: printable(readComm(pid) ?? '?'),
      startTime,
      namespaces,
    });
  }
  return result;
}

