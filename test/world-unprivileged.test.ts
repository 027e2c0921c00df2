/**
 * nslab run by an ordinary user: the lab world comes up through unprivileged user namespaces,
 * lab root is that user, the real /usr stays read-only and locked, and it all goes away.
 * Run as root (CI), the test drops a child process to uid 65534 to try it.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { guardRealMachine, isGone } from './support/host.ts';
import { NOBODY, runAsNobody } from './support/nobody.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

/** The checkout must be readable by the ordinary user for it to run nslab's sources. */
function checkoutReadableByOthers(): boolean {
  for (let dir = process.cwd(); dir !== '/'; dir = join(dir, '..')) {
    try {
      accessSync(dir, constants.X_OK);
    } catch {
      return false;
    }
  }
  return true;
}

it.runIf(process.getuid!() === 0)('works for an ordinary user, with lab root mapped to that user', async (ctx) => {
  if (!checkoutReadableByOthers()) ctx.skip();
  const stdout = await runAsNobody('test/support/unprivileged-world.ts');
  {
    const result = JSON.parse(stdout) as { uid: number; identity: { uid: number; nsenterCredentials: string[] }; probe: { stdout: string }; pids: { anchor: number; labHost: number } };
    expect(result.uid).toBe(NOBODY);
    expect(result.identity.uid).toBe(NOBODY); // no uid drop: the user is already unprivileged
    expect(result.identity.nsenterCredentials).toEqual(['--preserve-credentials']);
    expect(result.probe.stdout).toMatch(/^0\nhost\n/); // lab root, in the lab host
    expect(result.probe.stdout).toContain("cannot touch '/usr/nslab-x': Read-only file system");
    expect(result.probe.stdout).toMatch(/mount: \/usr: permission denied/);
    expect(isGone(result.pids.anchor) && isGone(result.pids.labHost)).toBe(true);
  }
});
