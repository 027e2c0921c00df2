/**
 * The hostname of another process's UTS namespace. No /proc file shows it: /proc/sys/kernel/
 * hostname answers for the UTS namespace of whoever opens it (proc_sys reads the opener's
 * nsproxy), so nslab runs the real system's `uname -n` under the real system's nsenter, in the
 * process's UTS namespace only. The namespace is pinned by an fd first, so a recycled pid
 * cannot swap it between the check and the probe.
 */
import { spawn } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { systemBinary } from './netlink.ts';
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
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(systemBinary('nsenter'), [...args, '--', systemBinary('uname'), '-n'], {
        stdio: ['ignore', 'pipe', 'pipe', ...fds],
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
        timeout: PROBE_TIMEOUT_MS,
        killSignal: 'SIGKILL',
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d.slice(0, 256)));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d.slice(0, 256)));
      child.once('error', reject);
      child.once('close', (code, signal) => {
        if (code === 0) resolve(stdout);
        else reject(new Error(`uname in the lab's UTS namespace failed: ${stderr.trim() || `exit ${code ?? signal}`}`));
      });
    });
    return out.replace(/\n$/, '');
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
