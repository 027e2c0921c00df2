/**
 * The chroot-escape lab, for real: every check fails on its step's starting state and on the
 * plausible wrong attempts, and passes after the reference solution. One stage walks through
 * the steps in order (wrong attempts are undone, or are prefixes of the solution); a second,
 * fresh one is used by verifyLab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/01-chroot-escape.ts';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { builtInLab, expectVerified, openLab, outcomes, screenText, step, typeCommand, typeSolution } from '../support/lab.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

/** Asserts the pass/fail of every check of a step, showing `found` and both screens on a mismatch. */
async function expectChecks(stage: Stage, stepId: string, want: Record<string, boolean>): Promise<Record<string, string>> {
  const got = await outcomes(lab, stepId, stage);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [id, pass] of Object.entries(want)) {
    const screens = `\n--- host pane ---\n${screenText(stage.host)}\n--- container pane ---\n${screenText(stage.container)}`;
    expect(got[id]!.pass, `${stepId}/${id}: ${got[id]!.found}${screens}`).toBe(pass);
  }
  return Object.fromEntries(Object.entries(got).map(([id, o]) => [id, o.found]));
}

/** Types solution lines [from, to) of a step. */
async function typeLines(stage: Stage, stepId: string, from: number, to?: number): Promise<void> {
  for (const line of step(lab, stepId).solution.slice(from, to)) await typeCommand(stage[line.pane], line.command, line.waitMs);
}

const ALL_FAIL_3 = { 'own-mount-ns': false, 'pivoted-root': false, 'old-root-detached': false, 'no-host-proc': false, 'escape-contained': false };

describe('chroot-escape lab, step by step', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('plants the file on the lab host, outside the rootfs', async () => {
    const result = await stage.world.exec('cat /root/treasure.txt; test -e /labs/rootfs/root/treasure.txt && echo INSIDE || echo outside');
    expect(result.stdout).toMatch(/treasure[\s\S]*\noutside\n$/);
  });

  it('escape: fails at the start and after cd .. ; passes after the escape program', async () => {
    let found = await expectChecks(stage, 'escape', { 'escaped-root': false, 'sees-treasure': false });
    expect(found['escaped-root']).toMatch(/container rootfs/);

    // Wrong attempt: climbing with cd stops at the chroot's root.
    await typeCommand(stage.container, 'cd ../../../..');
    found = await expectChecks(stage, 'escape', { 'escaped-root': false, 'sees-treasure': false });
    expect(found['sees-treasure']).toMatch(/still inside \$ROOTFS/);
    await typeCommand(stage.container, 'cd /');

    await typeSolution(step(lab, 'escape'), stage);
    await expectChecks(stage, 'escape', { 'escaped-root': true, 'sees-treasure': true });
    expect(screenText(stage.container)).toContain("a chroot alone does not hold root in");
  });

  it('proc-root: fails in the escaped shell, in the rootfs\'s own /root, and in its own root via /proc; passes after the solution', async () => {
    let found = await expectChecks(stage, 'proc-root', { 'proc-in-chroot': false, 'still-chrooted': false, 'cwd-outside': false });
    expect(found['proc-in-chroot']).toMatch(/nothing is mounted/);

    // Wrong attempt: the right directory, but from the escape program's shell.
    await typeCommand(stage.container, 'cd /root');
    found = await expectChecks(stage, 'proc-root', { 'proc-in-chroot': false, 'still-chrooted': false, 'cwd-outside': true });
    expect(found['still-chrooted']).toMatch(/escape program's shell/);

    await typeLines(stage, 'proc-root', 0, 1); // exit: back in the chrooted shell

    // Wrong attempt: /root inside the chroot is the rootfs's own.
    await typeCommand(stage.container, 'cd /root');
    found = await expectChecks(stage, 'proc-root', { 'proc-in-chroot': false, 'still-chrooted': true, 'cwd-outside': false });
    expect(found['cwd-outside']).toMatch(/container's own \/root/);

    await typeLines(stage, 'proc-root', 1, 2); // mount -t proc proc /proc

    // Wrong attempt: /proc/self/root is the chroot's own root.
    await typeCommand(stage.container, 'cd /proc/self/root/root');
    found = await expectChecks(stage, 'proc-root', { 'proc-in-chroot': true, 'still-chrooted': true, 'cwd-outside': false });
    expect(found['cwd-outside']).toMatch(/\$ROOTFS\/root/);

    await typeLines(stage, 'proc-root', 2);
    await expectChecks(stage, 'proc-root', { 'proc-in-chroot': true, 'still-chrooted': true, 'cwd-outside': true });
    expect(screenText(stage.container)).toMatch(/cat treasure.txt\n.*a chroot alone does not hold root in/);
  });

  it('pivot-root: fails at the start and on chroot, chroot in a new namespace, no pid namespace, an attached old root; passes after the solution', async () => {
    // The chroot cannot pivot: its root is no mount point.
    await typeCommand(stage.container, 'pivot_root . /tmp');
    expect(screenText(stage.container)).toMatch(/pivot_root: failed to change root.*Invalid argument/);

    let found = await expectChecks(stage, 'pivot-root', ALL_FAIL_3);
    expect(found['own-mount-ns']).toMatch(/lab host's mount namespace/);

    // Wrong attempt: a chroot from the host pane, in the lab host's mount namespace.
    await typeCommand(stage.host, 'chroot $ROOTFS /bin/bash');
    found = await expectChecks(stage, 'pivot-root', ALL_FAIL_3);
    expect(found['pivoted-root']).toMatch(/only by chroot/);
    expect(found['escape-contained']).toMatch(/climbed out/);
    await typeCommand(stage.host, 'exit');

    // Wrong attempt: its own mount namespace, but still a chroot.
    await typeCommand(stage.host, 'unshare --mount --pid --fork --mount-proc chroot $ROOTFS /bin/bash');
    found = await expectChecks(stage, 'pivot-root', { ...ALL_FAIL_3, 'own-mount-ns': true });
    expect(found['old-root-detached']).toMatch(/only chrooted/);
    expect(found['no-host-proc']).toMatch(/\/proc.*lab host's pid namespace/);
    expect(found['escape-contained']).toMatch(/climbed out to the lab host's root/);
    await typeCommand(stage.host, 'exit');

    // Wrong attempt: pivoted and detached, but no pid namespace: its proc shows the lab host.
    await typeCommand(stage.host, 'unshare --mount --fork bash');
    for (const command of ['mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mkdir -p old_root', 'mount -t proc proc proc', 'pivot_root . old_root', 'cd /', 'umount -l /old_root', 'rmdir /old_root']) {
      await typeCommand(stage.host, command);
    }
    found = await expectChecks(stage, 'pivot-root', { 'own-mount-ns': true, 'pivoted-root': true, 'old-root-detached': true, 'no-host-proc': false, 'escape-contained': true });
    expect(found['no-host-proc']).toMatch(/\/proc.*\/proc\/1\/root leads out/);
    await typeCommand(stage.host, 'exit');

    // Seed 002's way, pivot_root . . : the old root stays on top of "/" until umount -l.
    await typeCommand(stage.host, 'unshare --mount --pid --fork --mount-proc bash');
    for (const command of ['mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mount -t proc proc proc', 'pivot_root . .']) {
      await typeCommand(stage.host, command);
    }
    found = await expectChecks(stage, 'pivot-root', { 'own-mount-ns': true, 'pivoted-root': false, 'old-root-detached': false, 'no-host-proc': true, 'escape-contained': false });
    expect(found['pivoted-root']).toMatch(/old root sits on top/);
    expect(found['escape-contained']).toMatch(/climbed out to the lab host's root/);
    await typeCommand(stage.host, 'umount -l .');
    await expectChecks(stage, 'pivot-root', { 'own-mount-ns': true, 'pivoted-root': true, 'old-root-detached': true, 'no-host-proc': true, 'escape-contained': true });
    await typeCommand(stage.host, 'exit');
    await expectChecks(stage, 'pivot-root', ALL_FAIL_3);

    // The reference solution up to pivot_root: the old root is still mounted on /old_root.
    const lines = step(lab, 'pivot-root').solution;
    const umountAt = lines.findIndex((l) => l.command.startsWith('umount -l'));
    await typeLines(stage, 'pivot-root', 0, umountAt);
    found = await expectChecks(stage, 'pivot-root', { 'own-mount-ns': true, 'pivoted-root': true, 'old-root-detached': false, 'no-host-proc': false, 'escape-contained': true });
    expect(found['old-root-detached']).toMatch(/\/old_root \(the lab host's \/\).*\/old_root\/root\/treasure.txt is reachable/);
    await typeCommand(stage.host, 'cat /old_root/root/treasure.txt');
    expect(screenText(stage.host)).toMatch(/old_root\/root\/treasure.txt\n.*a chroot alone does not hold root in/);

    await typeLines(stage, 'pivot-root', umountAt);
    found = await expectChecks(stage, 'pivot-root', { 'own-mount-ns': true, 'pivoted-root': true, 'old-root-detached': true, 'no-host-proc': true, 'escape-contained': true });
    expect(found['escape-contained']).toMatch(/stopped at the container rootfs/);
    // The student's own escape, too, stayed in the container and found no treasure.
    expect(screenText(stage.host)).toMatch(/escape: chroot\("\."\)/);
    expect(screenText(stage.host)).toMatch(/cat: \/root\/treasure.txt: No such file or directory/);
  });
});

describe('chroot-escape lab, verified end to end', () => {
  it('verifyLab: every check fails before its step and passes after the solution', async () => {
    await expectVerified(await builtInLab(lab.id));
  });
});
