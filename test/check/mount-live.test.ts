/**
 * mount.pivoted and mount.oldRootDetached against real namespaces: the two foolings of issue
 * "Lab format 1" stay red, the seeds' spellings pass.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { CHROOT_START, PIVOT_START, openStage, screenText, type, verdict } from '../support/check.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

let stage: Stage | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

const pivoted = (s: Stage, subject: string, fixture?: string) => verdict(s, 'mount.pivoted', { subject }, fixture && `mount.pivoted-${fixture}`);
const detached = (s: Stage, subject: string, fixture?: string) => verdict(s, 'mount.oldRootDetached', { subject }, fixture && `mount.oldRootDetached-${fixture}`);

describe('pivoted, not chrooted; old root detached', () => {
  it('mount --move . / then chroot . is a chroot with the old root still attached', async () => {
    stage = await openStage(PIVOT_START);
    await type(stage, 'container', 'mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mount --move . /', 'exec chroot . /bin/bash');
    expect((await verdict(stage, 'root.is', { subject: 'container', path: '$ROOTFS' })).code, screenText(stage.container)).toBe('pass');
    expect((await pivoted(stage, 'container', 'move-chroot')).code).toBe('chroot');
    expect((await detached(stage, 'container', 'move-chroot')).code).toBe('attached');
  });

  it('a chroot into a bind of $ROOTFS in a new mount namespace is a chroot, the old root hidden but attached', async () => {
    stage = await openStage(CHROOT_START);
    await type(stage, 'host', 'unshare --mount --pid --fork --mount-proc bash', 'mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mount -t proc proc proc', 'exec chroot . /bin/bash');
    expect((await verdict(stage, 'root.is', { subject: 'host', path: '$ROOTFS' })).code, screenText(stage.host)).toBe('pass');
    const p = await pivoted(stage, 'host', 'bind-chroot');
    expect(p.code).toBe('chroot');
    expect(p.found).toMatch(/only by chroot/);
    expect((await detached(stage, 'host', 'bind-chroot')).code).toBe('attached');
  });

  it('pivot_root . . then umount -l . (seed 002) is pivoted and detached', async () => {
    stage = await openStage(PIVOT_START);
    await type(stage, 'container', 'mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mount -t proc proc proc', 'pivot_root . .');
    expect((await pivoted(stage, 'container')).code, screenText(stage.container)).toBe('pass');
    expect((await detached(stage, 'container', 'stacked')).code).toBe('attached');
    await type(stage, 'container', 'umount -l .', 'cd /');
    expect((await pivoted(stage, 'container', 'dot-dot')).code, screenText(stage.container)).toBe('pass');
    expect((await detached(stage, 'container', 'dot-dot')).code).toBe('pass');
  });

  it('pivot_root . oldroot/ (seed 001) with any directory name is pivoted, detached after umount -l', async () => {
    stage = await openStage(PIVOT_START);
    await type(stage, 'container', 'mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mkdir -p oldroot', 'mount -t proc proc proc', 'pivot_root . oldroot/', 'cd /');
    expect((await pivoted(stage, 'container')).code, screenText(stage.container)).toBe('pass');
    const d = await detached(stage, 'container', 'oldroot');
    expect(d.code).toBe('attached');
    expect(d.found).toMatch(/oldroot/);
    await type(stage, 'container', 'umount -l /oldroot');
    expect((await detached(stage, 'container')).code).toBe('pass');
  });

  it('the starting state and a plain chroot in the lab host are not pivoted', async () => {
    stage = await openStage(CHROOT_START);
    expect((await pivoted(stage, 'container')).code).toBe('shared-namespace');
    expect((await detached(stage, 'container')).code).toBe('shared-namespace');
    expect((await pivoted(stage, 'host')).code).toBe('not-in-root');
  });
});
