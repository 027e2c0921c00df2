/**
 * The pivot-root lab, for real: every check fails on its step's starting state and on the
 * plausible wrong attempts, and passes after the reference solution. One stage walks through
 * the steps in order (wrong attempts are undone before the solution); a second, fresh one is
 * used by verifyLab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/03-pivot-root.ts';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { builtInLab, expectVerified, openLab, outcomes, screenText, step, typeCommand, typeSolution } from '../support/lab.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

/** Asserts the pass/fail of each named check, showing `found` and the container screen on a mismatch. */
async function expectChecks(stage: Stage, stepId: string, want: Record<string, boolean>): Promise<void> {
  const got = await outcomes(lab, stepId, stage);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [id, pass] of Object.entries(want)) {
    expect(got[id]!.pass, `${stepId}/${id}: ${got[id]!.found}\n--- container pane ---\n${screenText(stage.container)}`).toBe(pass);
  }
}

async function found(stage: Stage, stepId: string, checkId: string): Promise<string> {
  return (await outcomes(lab, stepId, stage))[checkId]!.found;
}

describe('pivot-root lab, step by step', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('bind-rootfs: fails at the start and when bound in the host pane; passes after the solution', async () => {
    await expectChecks(stage, 'bind-rootfs', { 'rootfs-mountpoint': false });
    expect(await found(stage, 'bind-rootfs', 'rootfs-mountpoint')).toMatch(/plain directory/);

    // Wrong attempt: the bind mount in the lab host's mount namespace.
    await typeCommand(stage.host, 'mount --bind $ROOTFS $ROOTFS');
    await expectChecks(stage, 'bind-rootfs', { 'rootfs-mountpoint': false });
    expect(await found(stage, 'bind-rootfs', 'rootfs-mountpoint')).toMatch(/lab host's mount namespace/);

    // The solution in the container, while the host's extra mount is still there: not yet.
    await typeSolution(step(lab, 'bind-rootfs'), stage);
    await expectChecks(stage, 'bind-rootfs', { 'rootfs-mountpoint': false });
    expect(await found(stage, 'bind-rootfs', 'rootfs-mountpoint')).toMatch(/lab host has one/);

    await typeCommand(stage.host, 'umount $ROOTFS');
    await expectChecks(stage, 'bind-rootfs', { 'rootfs-mountpoint': true });
  });

  it('pivot: fails at the start, after a chroot, and when the new root is not a mount point; passes after the solution', async () => {
    await expectChecks(stage, 'pivot', { 'root-is-rootfs': false, 'pivoted': false });

    // Wrong attempt: chroot instead of pivot_root. The root is the rootfs, but no old root.
    await typeCommand(stage.container, 'chroot $ROOTFS /bin/bash');
    await expectChecks(stage, 'pivot', { 'root-is-rootfs': true, 'pivoted': false });
    expect(await found(stage, 'pivot', 'pivoted')).toMatch(/chroot/);
    await typeCommand(stage.container, 'exit');

    // Wrong attempt (seed 001's pitfall): pivot_root into a directory that is not a mount point.
    await typeCommand(stage.container, 'umount $ROOTFS');
    await typeCommand(stage.container, 'cd $ROOTFS && mkdir -p old_root && pivot_root . old_root');
    expect(screenText(stage.container)).toMatch(/pivot_root: failed to change root/);
    await expectChecks(stage, 'pivot', { 'root-is-rootfs': false, 'pivoted': false });
    await typeCommand(stage.container, 'cd /root && mount --bind $ROOTFS $ROOTFS');

    await typeSolution(step(lab, 'pivot'), stage);
    await expectChecks(stage, 'pivot', { 'root-is-rootfs': true, 'pivoted': true });
  });

  it('proc: fails at the start, with proc mounted in the host pane, and with the lab host\'s proc bound in; passes after the solution', async () => {
    await expectChecks(stage, 'proc', { 'own-proc': false });
    expect(await found(stage, 'proc', 'own-proc')).toMatch(/no proc is mounted/);

    // Wrong attempt: a proc mounted from the host pane, in the lab host's mount namespace.
    await typeCommand(stage.host, 'mount -t proc proc $ROOTFS/proc');
    await expectChecks(stage, 'proc', { 'own-proc': false });
    await typeCommand(stage.host, 'umount $ROOTFS/proc');

    // Wrong attempt: the lab host's proc (still under /old_root) bound into the container.
    await typeCommand(stage.container, 'mount --rbind /old_root/proc /proc');
    await expectChecks(stage, 'proc', { 'own-proc': false });
    expect(await found(stage, 'proc', 'own-proc')).toMatch(/another pid namespace/);
    await typeCommand(stage.container, 'umount -l /proc');

    await typeSolution(step(lab, 'proc'), stage);
    await expectChecks(stage, 'proc', { 'own-proc': true });
  });

  it('detach-old-root: fails at the start, after rmdir or plain umount (busy), and half done with umount -l only; passes after the solution', async () => {
    const bothFail = { 'old-root-detached': false, 'old-root-removed': false };
    await expectChecks(stage, 'detach-old-root', bothFail);

    // Wrong attempt: rmdir of a mount point.
    await typeCommand(stage.container, 'rmdir /old_root');
    expect(screenText(stage.container)).toMatch(/Device or resource busy/);
    await expectChecks(stage, 'detach-old-root', bothFail);

    // Wrong attempt: umount without -l is refused (busy) and leaves everything mounted.
    await typeCommand(stage.container, 'umount /old_root');
    expect(screenText(stage.container)).toMatch(/target is busy/);
    await expectChecks(stage, 'detach-old-root', bothFail);
    expect(await found(stage, 'detach-old-root', 'old-root-detached')).toMatch(/still mounted.*\/old_root/);

    // Half done: detached, but the empty directory is left.
    await typeCommand(stage.container, 'umount -l /old_root');
    await expectChecks(stage, 'detach-old-root', { 'old-root-detached': true, 'old-root-removed': false });
    expect(await found(stage, 'detach-old-root', 'old-root-removed')).toMatch(/empty directory/);

    await typeCommand(stage.container, 'rmdir /old_root');
    await expectChecks(stage, 'detach-old-root', { 'old-root-detached': true, 'old-root-removed': true });
    // The container's /proc stays its own after the old root is gone.
    await expectChecks(stage, 'proc', { 'own-proc': true });
  });
});

describe('pivot-root lab, reference sequence', () => {
  it('passes verifyLab: every check fails before its step\'s solution and passes after it', async () => {
    await expectVerified(await builtInLab(lab.id));
  });

  it('another order (proc mounted in $ROOTFS before the pivot) passes every check, and the lab host never saw any of it', async () => {
    const stage = await openLab(lab);
    try {
      for (const command of [
        'mount --bind $ROOTFS $ROOTFS',
        'cd $ROOTFS && mkdir old_root',
        'mount -t proc proc proc',
        'pivot_root . old_root && cd /',
        'umount -l /old_root && rmdir /old_root',
      ]) {
        await typeCommand(stage.container, command);
      }
      for (const s of lab.steps) {
        await expectChecks(stage, s.id, Object.fromEntries(s.checks.map((c) => [c.id, true])));
      }
      // The lab host's own view: no bind at $ROOTFS, no proc under it, no old_root left.
      expect((await stage.world.exec('cat /proc/self/mountinfo')).stdout).not.toMatch(/ \/labs\/rootfs/);
      expect((await stage.world.exec('ls /labs/rootfs')).stdout).not.toMatch(/old_root/);
    } finally {
      await stage.close();
    }
  });
});
