/**
 * The hostname of another process's UTS namespace. No /proc file shows it: /proc/sys/kernel/
 * hostname answers for the UTS namespace of whoever opens it (proc_sys reads the opener's
 * nsproxy), so nslab runs the real system's `uname -n` under the real system's nsenter, in the
 * process's UTS namespace only. The namespace is pinned by an fd first, so a recycled pid
 * cannot swap it between the check and the probe.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { systemBinary } from './netlink.ts';
import { runProbe } from './probe.ts';
import { procPath } from './proc.ts';

const PROBE_TIMEOUT_MS = 3_000;

/**
 * `uname -n` in the UTS namespace of `pid`; null when the process is gone. `enterUserNs`: an
 * ordinary owner must enter the lab's user namespace first (setns(2) of a UTS namespace needs
 * CAP_SYS_ADMIN in the namespace's owner), real root must not (it keeps its own credentials).
 */
export async function readHostname(pid: number, enterUserNs = process.getuid?.() !== 0): Promise<string | null> {
  const fds: number[] = [];
  try {
    for (const ns of enterUserNs ? ['user', 'uts'] : ['uts']) fds.push(openSync(procPath(pid, `ns/${ns}`), constants.O_RDONLY));
  } catch (err) {
    for (const fd of fds) closeSync(fd);
    if (['ENOENT', 'ESRCH'].includes((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
  const args = enterUserNs ? ['--user=/proc/self/fd/3', '--uts=/proc/self/fd/4', '--preserve-credentials'] : ['--uts=/proc/self/fd/3'];
  try {
    const out = await runProbe(systemBinary('nsenter'), [...args, '--', systemBinary('uname'), '-n'], fds, { timeoutMs: PROBE_TIMEOUT_MS, maxOutput: 4096 });
    return out.replace(/\n$/, '');
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
