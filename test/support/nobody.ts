/**
 * Running a test script as an ordinary user (uid 65534), from a test run by root: a private temp
 * dir the user can read, a copy of the container image, and the user's own TMPDIR (tsx keeps
 * its cache there). Returns what the script printed on stdout.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { testRootfsTar } from './rootfs.ts';

export const NOBODY = 65534;
const run = promisify(execFile);

/** `args` follow the container image's path on the script's command line. */
export async function runAsNobody(script: string, timeoutMs = 30_000, args: readonly string[] = []): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-unprivileged-'));
  chmodSync(dir, 0o755);
  const tar = join(dir, 'rootfs.tar');
  copyFileSync(await testRootfsTar(), tar);
  chmodSync(tar, 0o644);
  const userTmp = join(dir, 'tmp');
  mkdirSync(userTmp);
  chownSync(userTmp, NOBODY, NOBODY);
  try {
    const { stdout } = await run('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--',
      process.execPath, '--import', 'tsx', script, tar, ...args], { env: { ...process.env, HOME: dir, TMPDIR: userTmp }, timeout: timeoutMs });
    return stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
