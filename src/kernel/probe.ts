/**
 * Running one of the real system's programs as a probe (nsenter into a lab process's
 * namespaces, then ip, uname...): bounded in time and output, with the namespace fds it was
 * handed as fds 3, 4, ... and nothing else of nslab's, in the C locale. The caller pins the
 * namespaces by fd before, so a recycled pid cannot swap them between the check and the probe.
 */
import { spawn } from 'node:child_process';
import { printable } from '../printable.ts';

export interface ProbeOptions {
  readonly timeoutMs: number;
  /** Output beyond this many characters kills the probe (a lab can make output as long as it likes). */
  readonly maxOutput?: number;
}

/** stdout of `file args`, or an error with (the start of) its stderr. */
export function runProbe(file: string, args: readonly string[], fds: readonly number[], options: ProbeOptions): Promise<string> {
  const max = options.maxOutput ?? 4 << 20;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.length > max) child.kill('SIGKILL');
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 2000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(printable(err.trim()) || `${file} ended with ${code ?? signal}`));
    });
  });
}
