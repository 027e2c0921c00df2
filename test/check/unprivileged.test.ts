/**
 * The predicates work for nslab run by an ordinary user: listmount/statmount of the lab's mount
 * namespaces and nslab's ip entering the lab's user namespace. Run as root (CI), the test drops a
 * child process to uid 65534.
 */
import { expect, it } from 'vitest';
import { guardRealMachine } from '../support/host.ts';
import { NOBODY, runAsNobody } from '../support/nobody.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

it.runIf(process.getuid!() === 0)('pivoted, detached, veth pair and mount origin for an ordinary user', async () => {
  const stdout = await runAsNobody('test/support/unprivileged-check.ts', 60_000);
  {
    const result = JSON.parse(stdout) as { uid: number; codes: Record<string, string> };
    expect(result.uid).toBe(NOBODY);
    expect(result.codes).toEqual({ 'pivoted-before': 'not-in-root', pivoted: 'pass', detached: 'pass', pair: 'pass', propagated: 'pass' });
  }
});
