/**
 * A process's cgroup, read from nslab's side: /proc/<pid>/cgroup names it relative to the
 * reader's cgroup namespace root (cgroups(7)); nslab is in the initial one, so the path joined
 * to the hierarchy's mount point in nslab's own mount namespace is the cgroup's directory.
 * The lab can name its cgroups but cannot make a cgroup path point outside the hierarchy
 * (cgroupfs has no symlinks and refuses "/" and ".." in names).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountinfo } from './mountinfo.ts';
import { readProcText } from './proc.ts';

export type CgroupController = 'pids' | 'memory';

interface Hierarchy {
  readonly mountPoint: string;
  /** cgroup v2: one hierarchy, the line `0::<path>`. */
  readonly unified: boolean;
}

/** Where nslab sees the hierarchy holding `controller` (v1 first: on a hybrid machine v2 has none). */
function hierarchy(controller: CgroupController): Hierarchy | null {
  let mounts;
  try {
    mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return null;
  }
  const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
  if (v1) return { mountPoint: v1.mountPoint, unified: false };
  const v2 = mounts.find((m) => m.fsType === 'cgroup2');
  return v2 ? { mountPoint: v2.mountPoint, unified: true } : null;
}

/** The directory of `pid`'s cgroup in the hierarchy of `controller`; null when unreadable. */
export function cgroupDir(pid: number, controller: CgroupController): string | null {
  const h = hierarchy(controller);
  const text = readProcText(pid, 'cgroup');
  if (!h || text === null) return null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const matches = h.unified ? line.startsWith('0::') : controllers.split(',').includes(controller);
    if (matches) return join(h.mountPoint, line.slice(second + 1));
  }
  return null;
}

/** A cgroup file's text (limits and counters are small), null when it is not there. */
export function readCgroupFile(dir: string, file: string): string | null {
  if (file.includes('/')) return null;
  try {
    return readFileSync(join(dir, file), 'utf8').slice(0, 4096);
  } catch {
    return null;
  }
}
