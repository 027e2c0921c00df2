/**
 * The curriculum's predicates against real namespaces, each red on its starting state and on
 * the plausible mistake, green on the tutorial's way: hostnames (uts.hostname), user ids
 * through two user namespaces (user.uid), capability sets (caps.set), overlays and read-only
 * binds (mount.overlay, overlay.change, mount.readOnly), programs by name (proc.runs,
 * proc.noneNamed) and nsenter -a (ns.joined).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { openStage, screenText, type, typeCommand, verdict } from '../support/check.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

const SHELL = { container: { namespaces: [], root: 'none' as const, proc: false } };
const SEED_004 = { container: { namespaces: ['mount', 'pid'] as ('mount' | 'pid')[], root: 'chroot' as const, proc: true } };
const PIVOTED = {
  container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'] as ('mount' | 'pid' | 'net' | 'uts' | 'ipc')[], root: 'pivot' as const, proc: true, hostname: 'container' },
};

let stage: Stage | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

/** The verdict's code; with a `fixture` name it is also recorded for test/check/replay.test.ts. */
async function code(name: string, params: Record<string, unknown>, fixture?: string): Promise<string> {
  const v = await verdict(stage!, name, params, fixture);
  expect(v.found.length).toBeGreaterThan(0);
  return v.code;
}

describe('uts.hostname', () => {
  const RENAMED = { subject: 'container', not: 'host', outsideIs: 'host' };
  it('shared namespace, then the lab host renamed by mistake, then a UTS namespace of its own', async () => {
    stage = await openStage(SHELL);
    expect(await code('uts.hostname', RENAMED)).toBe('shared-namespace');
    await type(stage, 'container', 'unshare --uts bash');
    expect(await code('uts.hostname', RENAMED)).toBe('same-name');
    await type(stage, 'host', 'hostname tutorial');
    expect(await code('uts.hostname', RENAMED)).toBe('outside-renamed');
    await type(stage, 'host', 'hostname host');
    await type(stage, 'container', 'hostname tutorial');
    expect(await code('uts.hostname', RENAMED), screenText(stage.container)).toBe('pass');
    expect(await code('uts.hostname', { subject: 'container', name: 'other' })).toBe('other-name');
  });
});

describe('user.uid and caps.set through two user namespaces (seed 000)', () => {
  it('an ordinary uid 1000 without capabilities, then root inside that is 1000 outside', async () => {
    stage = await openStage(SHELL);
    const uid1000 = { subject: 'container', uid: 1000 };
    const noCaps = { subject: 'container', set: 'effective', exactly: [] };
    expect(await code('user.uid', uid1000)).toBe('other-uid');
    expect(await code('caps.set', noCaps)).toBe('has');
    await type(stage, 'container', 'unshare --user bash');
    expect(await code('user.uid', uid1000, 'user.uid-unmapped')).toBe('unmapped');
    await type(stage, 'container', 'exit', 'unshare --user --map-user=1000 --map-group=1000 bash');
    expect(await code('user.uid', uid1000), screenText(stage.container)).toBe('pass');
    expect(await code('caps.set', noCaps)).toBe('pass');
    expect(await code('user.uid', { subject: 'container', uid: 0, in: 'parent' })).toBe('pass');

    await type(stage, 'container', 'unshare --user --map-root-user --pid --mount-proc --mount --fork bash');
    expect(await code('user.uid', { subject: 'container', uid: 0 }), screenText(stage.container)).toBe('pass');
    expect(await code('user.uid', { subject: 'container', uid: 1000, in: 'parent' }, 'user.uid-parent')).toBe('pass');
    expect(await code('user.uid', { subject: 'host', uid: 0, in: 'parent' })).toBe('shared-namespace');
  });
});

describe('caps.set', () => {
  it('capsh --drop, setpriv --bounding-set, and a set of exactly one', async () => {
    stage = await openStage(PIVOTED);
    const noAdmin = { subject: 'container', set: 'bounding', lacks: ['cap_sys_admin'] };
    expect(await code('caps.set', noAdmin, 'caps.set-has')).toBe('has');
    await type(stage, 'container', 'capsh --drop=cap_sys_admin');
    expect(await code('caps.set', noAdmin)).toBe('has');
    await type(stage, 'container', 'setpriv --inh-caps=-sys_admin bash');
    expect(await code('caps.set', { ...noAdmin, set: 'effective' })).toBe('has');
    await type(stage, 'container', 'exit', 'capsh --drop=cap_sys_admin --');
    expect(await code('caps.set', noAdmin), screenText(stage.container)).toBe('pass');
    expect(await code('caps.set', { ...noAdmin, set: 'effective' })).toBe('pass');
    await type(stage, 'container', 'exit', 'ip link set lo up', 'setpriv --bounding-set=-all bash');
    const onlyRaw = { subject: 'container', set: 'effective', exactly: ['net_raw'] };
    expect(await code('caps.set', onlyRaw)).toBe('lacks');
    await type(stage, 'container', 'exit', 'setpriv --bounding-set=-all,+net_raw bash');
    expect(await code('caps.set', onlyRaw, 'caps.set-exactly'), screenText(stage.container)).toBe('pass');
    expect(await code('caps.set', { ...onlyRaw, set: 'bounding' })).toBe('pass');
    // What the lab says it now may and may not do.
    await type(stage, 'container', 'clear', 'ping -c 1 127.0.0.1; mount -t tmpfs none /mnt; ip link set lo down');
    const screen = screenText(stage.container);
    expect(screen).toContain('1 received');
    expect(screen).toMatch(/mount: .*permission denied/i);
    expect(screen).toContain('Operation not permitted');
  });
});

describe('mount.overlay and overlay.change', () => {
  const OVL = { subject: 'host', path: '/containers/tutorial/merged', lower: '$ROOTFS', upper: '/containers/tutorial/upper' };
  const MOUNT =
    'mount -t overlay overlay -o lowerdir=$ROOTFS,upperdir=/containers/tutorial/upper,workdir=/containers/tutorial/work /containers/tutorial/merged';
  it('a bind is not an overlay; TEST in the image is not copy-on-write; the tutorial way passes', async () => {
    stage = await openStage(SHELL);
    await type(stage, 'host', 'mkdir -p /containers/tutorial/upper /containers/tutorial/work /containers/tutorial/merged');
    expect(await code('mount.overlay', OVL)).toBe('missing');
    await type(stage, 'host', 'mount --bind $ROOTFS /containers/tutorial/merged');
    expect(await code('mount.overlay', OVL, 'mount.overlay-bind')).toBe('not-overlay');
    await type(stage, 'host', 'umount /containers/tutorial/merged', MOUNT);
    expect(await code('mount.overlay', OVL), screenText(stage.host)).toBe('pass');
    expect(await code('mount.overlay', { ...OVL, upper: '/containers/tutorial/work' })).toBe('other-upper');
    const change = { subject: 'host', path: '/containers/tutorial/merged', name: 'TEST' };
    expect(await code('overlay.change', change)).toBe('missing');
    await type(stage, 'host', 'touch $ROOTFS/TEST');
    expect(await code('overlay.change', change, 'overlay.change-in-image')).toBe('in-image');
    await type(stage, 'host', 'rm $ROOTFS/TEST', 'touch /containers/tutorial/merged/TEST');
    expect(await code('overlay.change', change, 'overlay.change-pass'), screenText(stage.host)).toBe('pass');
    // The container pane shares the mount namespace: it sees the same overlay.
    expect(await code('mount.overlay', { ...OVL, subject: 'container' })).toBe('pass');
  });
});

describe('mount.readOnly (seed 004 volumes)', () => {
  it('the bind from the host pane is not in the container; made in its mount namespace it is, ro or not', async () => {
    stage = await openStage(SEED_004);
    const ro = { subject: 'container', path: '/var/gojek', readOnly: true };
    await type(stage, 'container', 'mkdir /var/gojek');
    await type(stage, 'host', 'mkdir gojek && echo "Hello from GO-JEK" > gojek/hi', 'mount --bind -o ro $PWD/gojek $ROOTFS/var/gojek');
    expect(await code('mount.readOnly', ro)).toBe('missing');
    await type(stage, 'host', 'umount $ROOTFS/var/gojek', 'nsenter --mount=/proc/$CPID/ns/mnt mount --bind $PWD/gojek $ROOTFS/var/gojek');
    expect(await code('mount.readOnly', ro, 'mount.readOnly-writable')).toBe('writable');
    await type(stage, 'host', 'nsenter --mount=/proc/$CPID/ns/mnt umount $ROOTFS/var/gojek', 'nsenter --mount=/proc/$CPID/ns/mnt mount --bind -o ro $PWD/gojek $ROOTFS/var/gojek');
    expect(await code('mount.readOnly', ro), screenText(stage.host)).toBe('pass');
    expect(await code('file.has', { subject: 'container', path: '/var/gojek/hi', contains: 'Hello from GO-JEK' })).toBe('pass');
    await type(stage, 'container', 'clear', 'echo "GO-PAY is awesome" > /var/gojek/hi');
    expect(screenText(stage.container)).toContain('Read-only file system');
    // Root of the same user namespace may take the ro flag off again (not locked).
    await type(stage, 'container', 'mount -o remount,bind,rw /var/gojek');
    expect(await code('mount.readOnly', ro)).toBe('writable');
  });
});

describe('proc.runs, proc.noneNamed, ns.joined (seed 004 nsenter)', () => {
  it('top in the second shell, killed from the first; nsenter -a needs -r for a chroot', async () => {
    stage = await openStage(SEED_004);
    const runs = { subject: 'host', comm: 'top', in: 'container-init' };
    const none = { comm: 'top', in: 'container-init' };
    expect(await code('proc.runs', runs)).toBe('other-program');
    await typeCommand(stage.host, 'top', 0);
    expect(await code('proc.runs', runs, 'proc.runs-outside')).toBe('outside');
    stage.host.write('q');
    await stage.host.settled(1000);
    await type(stage, 'host', 'nsenter --pid=/proc/$CPID/ns/pid unshare --fork --mount-proc=$ROOTFS/proc chroot $ROOTFS /bin/bash');
    expect(await code('proc.noneNamed', none)).toBe('pass');
    await typeCommand(stage.host, 'top', 0);
    expect(await code('proc.runs', runs), screenText(stage.host)).toBe('pass');
    expect(await code('proc.noneNamed', none)).toBe('running');
    await type(stage, 'container', 'kill -STOP $(pidof top)');
    expect(await code('proc.noneNamed', none)).toBe('stopped');
    await type(stage, 'container', 'kill -9 $(pidof top)');
    expect(await code('proc.noneNamed', none)).toBe('pass');

    const joined = { subject: 'host', with: 'container-init' };
    expect(await code('ns.joined', joined)).toBe('own');
    await type(stage, 'host', 'exit', 'nsenter -t $CPID -a /bin/bash');
    expect(await code('ns.joined', joined, 'ns.joined-no-r'), screenText(stage.host)).toBe('other-root');
    await type(stage, 'host', 'exit', 'nsenter -t $CPID -a -r -w /bin/bash');
    expect(await code('ns.joined', joined), screenText(stage.host)).toBe('pass');
  });
});
