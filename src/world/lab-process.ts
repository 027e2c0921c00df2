/**
 * "Is this real pid a process of this lab world, right now?" — asked before nslab reads a
 * process's /proc files or enters its namespaces.
 *
 * A pid is only a number: once its process exits, the kernel may give it to any new process of
 * the machine. nslab learns lab pids from places the lab can steer: tcgetpgrp(3) names the
 * process group a program last made the terminal's foreground, even after that group is gone
 * (a program `tcsetpgrp`s to its own group and exits), and /run/nslab files are written by the
 * lab. Trusting such a number once made nslab read, and could have made it `nsenter -t`, a real
 * root process of the machine.
 *
 * So a process counts as the lab's only when
 *  - it is in the lab host's pid namespace or one nested in it: its pid namespace, or one of
 *    that namespace's ancestors (ioctl_ns(2) NS_GET_PARENT), is the lab host's (compared by
 *    device and inode, which no later namespace reuses while nslab holds the world), and
 *  - a pidfd opened before the question (pidfd_open(2)) still refers to a live process after
 *    every read made for the answer: the pid was not recycled in between, so every read was
 *    about the process the pidfd holds.
 * Level 1 of the lab world (the lab host's parent namespace) is deliberately not the lab's.
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { nsGetParent, pidfdAlive, pidfdOpen } from '../../native/libc.ts';
import { readProcText, type FileIdentity } from '../kernel/proc.ts';

/** The kernel nests pid namespaces at most 32 deep (pid_namespaces(7)). */
const MAX_PID_NESTING = 32;

/** dev+ino of the `type` namespace of `pid` (/proc/<pid>/ns/<type>), or null when it is gone. */
export function pidNamespaceOf(pid: number, type: 'pid' | 'user' = 'pid'): FileIdentity | null {
  try {
    const fd = openSync(`/proc/${pid}/ns/${type}`, constants.O_RDONLY);
    try {
      const st = fstatSync(fd, { bigint: true });
      return { dev: st.dev, ino: st.ino };
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/**
 * How deep below `ancestor` the `type` namespace of `pid` is (0: it is `ancestor`), or null
 * when it is not `ancestor` nor nested in it. Pid and user namespaces nest (ioctl_ns(2)).
 */
export function namespaceDepthBelow(pid: number, type: 'pid' | 'user', ancestor: FileIdentity): number | null {
  let fd: number | null;
  try {
    fd = openSync(`/proc/${pid}/ns/${type}`, constants.O_RDONLY);
  } catch {
    return null;
  }
  try {
    for (let depth = 0; fd !== null && depth <= MAX_PID_NESTING; depth++) {
      const st = fstatSync(fd, { bigint: true });
      if (st.dev === ancestor.dev && st.ino === ancestor.ino) return depth;
      const parent = nsGetParent(fd);
      closeSync(fd);
      fd = parent;
    }
    return null;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Field 6 of /proc/<pid>/stat, the session id (a real pid); null when gone. */
function sessionOf(pid: number): number | null {
  const text = readProcText(pid, 'stat');
  const close = text?.lastIndexOf(')') ?? -1;
  if (text === null || text === undefined || close < 0) return null;
  const session = Number(text.slice(close + 2).split(' ')[3]);
  return Number.isInteger(session) ? session : null;
}

export interface LabProcessOptions {
  /** Only the lab host's own pid namespace, not one nested in it. */
  readonly exactNamespace?: boolean;
  /** Only a process of this session (a pane's session leader, as a real pid). */
  readonly session?: number;
}

/**
 * Runs `read` about real pid `pid` when that pid is, right now, a process of the lab world
 * whose lab host's pid namespace is `labNs`, and returns its result; null when the process is
 * not the lab's, or is gone, or exited (its pid free to be reused) before `read` returned —
 * then nothing `read` saw may be used. `read` must only read (/proc, in-root), never act.
 */
export function withLabProcess<T>(labNs: FileIdentity, pid: number, read: () => T, options: LabProcessOptions = {}): T | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let pidfd: number;
  try {
    pidfd = pidfdOpen(pid);
  } catch {
    return null; // ESRCH: no such process
  }
  try {
    const depth = namespaceDepthBelow(pid, 'pid', labNs);
    if (depth === null || (options.exactNamespace && depth !== 0)) return null;
    if (options.session !== undefined && sessionOf(pid) !== options.session) return null;
    const result = read();
    return pidfdAlive(pidfd) ? result : null;
  } finally {
    closeSync(pidfd);
  }
}

/** Whether real pid `pid` is, right now, a process of the lab world whose lab host's pid namespace is `labNs`. */
export function isLabProcess(labNs: FileIdentity, pid: number, options: LabProcessOptions = {}): boolean {
  return withLabProcess(labNs, pid, () => true, options) ?? false;
}
