/**
 * proc.* and file.has against real pid namespaces, on proc-leakage's starting state (a chroot
 * sharing every namespace, a vault and a webserver planted on the lab host). Work done from the
 * host pane stays red, and so does a pid namespace without a mount namespace.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { openStage, screenText, type, verdict } from '../support/check.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

const START = {
  container: { namespaces: [], root: 'chroot' as const, proc: false },
  setup: readFileSync(new URL('../../labs/04-proc-leakage/setup.sh', import.meta.url), 'utf8'),
};
const STOLEN = { subject: 'container', path: '/stolen.txt', secretOf: { subject: 'planted:vault', variable: 'NSLAB_SECRET' }, notIn: 'lab-host' };
const STEAL = "tr '\\0' '\\n' < /proc/$(ps -C vault -o pid= | tr -d ' ')/environ | grep NSLAB_SECRET > /stolen.txt";

let stage: Stage | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

describe('seeing, reading and killing the lab host\'s processes', () => {
  it('the chroot sees the vault once a proc is mounted; the secret stolen in the host pane is not the chroot\'s', async () => {
    stage = await openStage(START);
    const sees = () => verdict(stage!, 'proc.sees', { subject: 'container', target: 'planted:vault' });
    expect((await sees()).code).toBe('no-proc');
    await type(stage, 'container', 'mount -t proc proc /proc');
    expect((await sees()).code, screenText(stage.container)).toBe('pass');
    expect((await verdict(stage, 'file.has', STOLEN)).code).toBe('missing');
    await type(stage, 'host', STEAL);
    const wrong = await verdict(stage, 'file.has', STOLEN, 'file.has-host-pane');
    expect(wrong.code, screenText(stage.host)).toBe('wrong-pane');
    expect(wrong.found).toMatch(/written in the host pane/);
    await type(stage, 'container', STEAL);
    expect((await verdict(stage, 'file.has', STOLEN)).code, screenText(stage.container)).toBe('pass');
  });

  it('the webserver killed from the host pane is named as killed there; from the chroot it passes', async () => {
    const killed = (fixture?: string) => verdict(stage!, 'proc.killedBy', { subject: 'planted:webserver', root: '$ROOTFS' }, fixture && `proc.killedBy-${fixture}`);
    stage = await openStage(START);
    expect((await killed()).code).toBe('running');
    await type(stage, 'host', 'kill $(ps -C webserver -o pid=)');
    const wrong = await killed('host-pane');
    expect(wrong.code, screenText(stage.host)).toBe('wrong-root');
    expect(wrong.found).toMatch(/the host pane/);
    await stage.close();

    stage = await openStage(START);
    await type(stage, 'container', 'mount -t proc proc /proc', 'kill $(ps -C webserver -o pid=)');
    expect((await killed('chroot')).code, screenText(stage.container)).toBe('pass');
    expect((await verdict(stage, 'proc.alive', { subject: 'planted:vault' })).code).toBe('pass');
  });

  it('a pid namespace without a mount namespace: own pid namespace and proc, but not its own mount namespace', async () => {
    stage = await openStage(START);
    await type(stage, 'container', 'mount -t proc proc /proc');
    const own = () => verdict(stage!, 'proc.ownPidNamespace', { subject: 'container' });
    const reach = () => verdict(stage!, 'proc.outOfReach', { subject: 'container', target: 'planted:vault' });
    expect((await own()).code).toBe('shared-pid-namespace');
    expect((await reach()).code).toBe('signalable');
    await type(stage, 'container', 'unshare --pid --fork bash');
    expect((await verdict(stage, 'proc.ownPidNamespace', { subject: 'container' }, 'proc.ownPidNamespace-stale')).code).toBe('stale-proc');
    expect((await reach()).code).toBe('visible');
    await type(stage, 'container', 'mount -t proc proc /proc');
    expect((await own()).code, screenText(stage.container)).toBe('pass');
    expect((await verdict(stage, 'ns.own', { subject: 'container', ns: 'mount' }, 'ns.own-mount-shared')).code).toBe('shared');
    await type(stage, 'container', 'exit', 'umount /proc', 'unshare --pid --fork --mount bash', 'mount -t proc proc /proc');
    expect((await own()).code, screenText(stage.container)).toBe('pass');
    expect((await verdict(stage, 'ns.own', { subject: 'container', ns: 'mount' })).code).toBe('pass');
    expect((await verdict(stage, 'proc.outOfReach', { subject: 'container', target: 'planted:vault' }, 'proc.outOfReach-pass')).code).toBe('pass');
  });
});
