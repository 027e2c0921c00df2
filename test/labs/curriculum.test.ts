/**
 * `nslab verify` on the curriculum's labs (namespaces-101, user-namespaces, overlay-rootfs,
 * nsenter, volumes, capabilities): for every step, each check red before its reference
 * solution, each declared wrong attempt given its declared verdicts, the solution green.
 */
import { describe, it } from 'vitest';
import { guardRealMachine } from '../support/host.ts';
import { builtInLab, expectVerified } from '../support/lab.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

describe('nslab verify: the curriculum labs', () => {
  for (const id of ['namespaces-101', 'user-namespaces', 'overlay-rootfs', 'nsenter', 'volumes', 'capabilities']) {
    it(id, async () => {
      await expectVerified(await builtInLab(id));
    });
  }
});
