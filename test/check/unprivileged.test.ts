/**
 * The predicates work for nslab run by an ordinary user: listmount/statmount of the lab's mount
 * namespaces and nslab's ip entering the lab's user namespace. Run as root (CI), the test drops a
 * child process to uid 65534.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { guardRealMachine } from '../support/host.ts';
import { testRootfsTar } from '../support/rootfs.ts';

const run = promisify(execFile);
guardRealMachine(testRootfsTar);
const NOBODY = 65534;

it.runIf(process.getuid!() === 0)('pivoted, detached, veth pair and mount origin for an ordinary user', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-unprivileged-check-'));
  chmodSync(dir, 0o755);
  const tar = join(dir, 'rootfs.tar');
  copyFileSync(await testRootfsTar(), tar);
  chmodSync(tar, 0o644);
  const userTmp = join(dir, 'tmp');
  mkdirSync(userTmp);
  chownSync(userTmp, NOBODY, NOBODY);
  try {
    const { stdout } = await run('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--',
      process.execPath, '--import', 'tsx', 'test/support/unprivileged-check.ts', tar], { env: { ...process.env, HOME: dir, TMPDIR: userTmp }, timeout: 60_000 });
    const result = JSON.parse(stdout) as { uid: number; codes: Record<string, string> };
    expect(result.uid).toBe(NOBODY);
    expect(result.codes).toEqual({ 'pivoted-before': 'not-in-root', pivoted: 'pass', detached: 'pass', pair: 'pass', propagated: 'pass' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
