/**
 * The pivot-root lab accepts seed 001's own way, not only its reference solution:
 * `mount --make-rprivate /` first, `oldroot` for the old root, and `umount -a` before
 * `umount -l /oldroot`. Every check of the pivot, proc and detach steps must be green after it.
 * (Seed 002's `pivot_root . .` + `umount -l /` is not covered: in a lab world the old root
 * stays mounted after it, see the capstone branch's report.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { builtInLab, openLab, outcomes, typeCommand } from '../support/lab.ts';
import { guardRealMachine } from '../support/host.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

const SEED_001 = ['mount --make-rprivate /', 'mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mkdir -p oldroot', 'pivot_root . oldroot', 'cd /', 'umount -a', 'mount -t proc proc /proc', 'umount -l /oldroot'];
let stage: Stage | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

describe('pivot-root: the seeds\' alternatives', () => {
  for (const [name, lines] of [['seed 001 (rprivate, umount -a, umount -l /oldroot)', SEED_001]] as const) {
    it(name, async () => {
      const lab = await builtInLab('pivot-root');
      stage = await openLab(lab);
      for (const line of lines) await typeCommand(stage.container, line);
      for (const stepId of ['pivot', 'proc', 'detach-old-root']) {
        const got = await outcomes(lab, stepId, stage);
        for (const [id, o] of Object.entries(got)) expect(`${stepId}/${id}: ${o.code} ${o.pass ? '' : o.found}`).toBe(`${stepId}/${id}: pass `);
      }
    }, 120_000);
  }

});
