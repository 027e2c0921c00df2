/**
 * The mount-propagation lab, for real: every check fails on its step's starting state and on
 * plausible wrong attempts (unshare typed in the host pane, the wrong propagation type, a mount
 * made before the namespace or before the propagation change), and passes after the reference
 * solution. One stage walks through the steps in order, undoing each wrong attempt before the
 * solution; verifyLab uses a fresh one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/04-mount-propagation.ts';
import type { Stage } from '../../src/world/stage.ts';
import type { Pane } from '../../src/term/pane.ts';
import { guardRealMachine } from '../support/host.ts';
import { builtInLab, expectVerified, openLab, outcomes, screenText, step, typeCommand } from '../support/lab.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

type Want = Record<string, boolean>;

/** Asserts the pass/fail of every check of a step, showing `found` and both panes on a mismatch. */
async function expectChecks(stage: Stage, stepId: string, want: Want): Promise<void> {
  const got = await outcomes(lab, stepId, stage);
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const [id, pass] of Object.entries(want)) {
    const why = `${stepId}/${id}: ${got[id]!.found}\n--- host pane ---\n${screenText(stage.host)}\n--- container pane ---\n${screenText(stage.container)}`;
    expect(got[id]!.pass, why).toBe(pass);
  }
}

async function found(stage: Stage, stepId: string, checkId: string): Promise<string> {
  return (await outcomes(lab, stepId, stage))[checkId]!.found;
}

/** The pane's last line is the lab's bare root prompt: the shell is waiting for the next command. */
function atRootPrompt(pane: Pane): boolean {
  return screenText(pane).split('\n').at(-1)?.trim() === 'root@host:~#';
}

/**
 * Types a command (typeCommand waits until the pane is quiet at a prompt) and asserts that it is
 * the bare root@host:~# prompt, not a continuation ("> ") or a prompt elsewhere.
 */
async function type(pane: Pane, command: string): Promise<void> {
  await typeCommand(pane, command);
  expect(atRootPrompt(pane), `no prompt after \`${command}\`:\n${screenText(pane)}`).toBe(true);
}

const host = (stage: Stage, command: string) => type(stage.host, command);
const container = (stage: Stage, command: string) => type(stage.container, command);

async function solve(stage: Stage, stepId: string): Promise<void> {
  for (const line of step(lab, stepId).solution) await type(stage[line.pane], line.command);
}

describe('mount-propagation lab, step by step', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('shared: fails at the start, with unshare in the host pane, with a host mount made before the unshare, and with a private namespace; passes after the solution', async () => {
    const none = { namespace: false, 'host-to-container': false, 'container-to-host': false };
    await expectChecks(stage, 'shared', none);
    expect(await found(stage, 'shared', 'namespace')).toMatch(/lab host's own mount namespace/);
    expect(await found(stage, 'shared', 'host-to-container')).toMatch(/lab host's own mount namespace/);

    // Wrong attempt: unshare typed in the host pane; its mounts still reach everyone (shared).
    await host(stage, 'unshare --mount --propagation shared bash');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-shared');
    await expectChecks(stage, 'shared', none);
    expect(await found(stage, 'shared', 'namespace')).toMatch(/host pane runs .* mount namespace of its own/);
    await host(stage, 'umount /mnt/shared/from-host-shared');
    await host(stage, 'exit');

    // Wrong attempt: the host mounts first, then the container unshares: a copy, not propagation.
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-shared');
    await container(stage, 'unshare --mount --propagation shared bash');
    await container(stage, 'mount --bind /srv/container-data /mnt/shared/from-container-shared');
    await expectChecks(stage, 'shared', { namespace: true, 'host-to-container': false, 'container-to-host': true });
    expect(await found(stage, 'shared', 'host-to-container')).toMatch(/already mounted when the namespace was made/);
    // The same for a "container" mount typed before the unshare (it was the lab host's).
    await container(stage, 'umount /mnt/shared/from-container-shared');
    await container(stage, 'exit');
    await container(stage, 'mount --bind /srv/container-data /mnt/shared/from-container-shared');
    await container(stage, 'unshare --mount --propagation shared bash');
    await expectChecks(stage, 'shared', { namespace: true, 'host-to-container': false, 'container-to-host': false });
    expect(await found(stage, 'shared', 'container-to-host')).toMatch(/already mounted when the namespace was made/);
    await host(stage, 'umount /mnt/shared/from-host-shared; umount /mnt/shared/from-container-shared');
    await container(stage, 'exit');

    // Wrong attempt: unshare's default propagation (private): nothing travels.
    await container(stage, 'unshare --mount bash');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-shared');
    await container(stage, 'mount --bind /srv/container-data /mnt/shared/from-container-shared');
    await expectChecks(stage, 'shared', none);
    expect(await found(stage, 'shared', 'namespace')).toMatch(/container's \/mnt\/shared is private/);
    expect(await found(stage, 'shared', 'host-to-container')).toMatch(/did not propagate/);
    expect(await found(stage, 'shared', 'container-to-host')).toMatch(/did not propagate/);
    await host(stage, 'umount /mnt/shared/from-host-shared');
    await container(stage, 'exit');

    await solve(stage, 'shared');
    await expectChecks(stage, 'shared', { namespace: true, 'host-to-container': true, 'container-to-host': true });
  });

  it('private: fails at the start, when still in the shared namespace, and with a host mount made before the unshare; passes after the solution', async () => {
    const none = { namespace: false, 'host-not-in-container': false, 'container-not-in-host': false };
    await expectChecks(stage, 'private', none);

    // Wrong attempt: no exit, the mounts are made in the shared namespace of the last step.
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-private');
    await container(stage, 'mount --bind /srv/container-data /mnt/shared/from-container-private');
    await expectChecks(stage, 'private', none);
    expect(await found(stage, 'private', 'host-not-in-container')).toMatch(/propagated into the container/);
    expect(await found(stage, 'private', 'container-not-in-host')).toMatch(/lab host sees .* too/);
    await host(stage, 'umount /mnt/shared/from-host-private; umount /mnt/shared/from-container-private');

    // Wrong attempt: the host mounts before the private namespace exists, which copies it in.
    await container(stage, 'exit');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-private');
    await container(stage, 'unshare --mount --propagation private bash');
    await expectChecks(stage, 'private', { namespace: true, 'host-not-in-container': false, 'container-not-in-host': false });
    expect(await found(stage, 'private', 'host-not-in-container')).toMatch(/already mounted when the namespace was made/);
    await container(stage, 'exit');
    await host(stage, 'umount /mnt/shared/from-host-private');
    // Back into a namespace, as at the start of the step (the solution begins with `exit`).
    await container(stage, 'unshare --mount --propagation shared bash');

    await solve(stage, 'private');
    await expectChecks(stage, 'private', { namespace: true, 'host-not-in-container': true, 'container-not-in-host': true });
  });

  it('slave: fails at the start, with a shared namespace, and with a host mount made before the unshare; passes after the solution', async () => {
    const none = { namespace: false, 'host-to-container': false, 'container-not-in-host': false };
    await expectChecks(stage, 'slave', none);
    expect(await found(stage, 'slave', 'namespace')).toMatch(/is private/);

    // Wrong attempt: shared instead of slave: the container's mount reaches the host.
    await container(stage, 'exit');
    await container(stage, 'unshare --mount --propagation shared bash');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-slave');
    await container(stage, 'mount --bind /srv/container-data /mnt/shared/from-container-slave');
    await expectChecks(stage, 'slave', { namespace: false, 'host-to-container': true, 'container-not-in-host': false });
    expect(await found(stage, 'slave', 'container-not-in-host')).toMatch(/propagated/);
    await container(stage, 'umount /mnt/shared/from-container-slave; umount /mnt/shared/from-host-slave');

    // Wrong attempt: the host mounts before the slave namespace exists: only a copy arrives.
    await container(stage, 'exit');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-slave');
    await container(stage, 'unshare --mount --propagation slave bash');
    await container(stage, 'mount --bind /srv/container-data /mnt/shared/from-container-slave');
    await expectChecks(stage, 'slave', { namespace: true, 'host-to-container': false, 'container-not-in-host': true });
    expect(await found(stage, 'slave', 'host-to-container')).toMatch(/already mounted when the namespace was made/);
    await host(stage, 'umount /mnt/shared/from-host-slave');
    await container(stage, 'umount /mnt/shared/from-container-slave');

    await solve(stage, 'slave');
    await expectChecks(stage, 'slave', { namespace: true, 'host-to-container': true, 'container-not-in-host': true });
  });

  it('unbindable: fails at the start, when made unbindable in the container pane, and with a bind and a mount made before the change; passes after the solution', async () => {
    await expectChecks(stage, 'unbindable', { 'host-unbindable': false, 'container-cut-off': false });

    // Wrong attempt: the change typed in the container pane only changes the container's copy.
    await container(stage, 'mount --make-unbindable /mnt/shared');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-unbindable');
    await expectChecks(stage, 'unbindable', { 'host-unbindable': false, 'container-cut-off': true });
    expect(await found(stage, 'unbindable', 'host-unbindable')).toMatch(/container's own copy is unbindable/);
    await host(stage, 'umount /mnt/shared/from-host-unbindable');
    await container(stage, 'exit');
    await container(stage, 'unshare --mount --propagation slave bash');

    // Wrong attempt: a bind and a mount made while /mnt/shared was still shared, then the change.
    await host(stage, 'mount --bind /mnt/shared /srv/shared-view');
    await host(stage, 'mount --bind /srv/host-data /mnt/shared/from-host-unbindable');
    await host(stage, 'mount --make-unbindable /mnt/shared');
    await expectChecks(stage, 'unbindable', { 'host-unbindable': false, 'container-cut-off': false });
    expect(await found(stage, 'unbindable', 'host-unbindable')).toMatch(/bind of it is mounted at \/srv\/shared-view/);
    expect(await found(stage, 'unbindable', 'container-cut-off')).toMatch(/before the propagation change/);
    // Undo. The early bind is a peer of the old /mnt/shared, and from-host-unbindable propagated
    // under it too: unmount it recursively. The container unmounts its copy itself if it is left.
    await host(stage, 'umount -R /srv/shared-view; umount /mnt/shared/from-host-unbindable');
    await container(stage, 'umount /mnt/shared/from-host-unbindable 2>/dev/null; true');
    await container(stage, 'exit');
    await host(stage, 'mount --make-shared /mnt/shared');
    await container(stage, 'unshare --mount --propagation slave bash');

    await solve(stage, 'unbindable');
    expect(screenText(stage.host)).toMatch(/wrong fs type, bad option/);
    await expectChecks(stage, 'unbindable', { 'host-unbindable': true, 'container-cut-off': true });
    expect(await found(stage, 'unbindable', 'container-cut-off')).toMatch(/container's \/mnt\/shared is private/);
  });
});

describe('mount-propagation lab, verified', () => {
  it('verifyLab: every check fails before its solution and passes after it', async () => {
    await expectVerified(await builtInLab(lab.id));
  });
});

describe('mount-propagation lab, with its marker mount taken away', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('does not take "cannot tell" for "propagated": a pre-made mount stays red after `umount /srv`', async () => {
    await host(stage, 'mount -t tmpfs early /mnt/shared/from-host-shared');
    await container(stage, 'unshare --mount --propagation shared bash');
    await container(stage, 'umount /srv');
    const result = (await outcomes(lab, 'shared', stage))['host-to-container']!;
    expect(result.pass).toBe(false);
    expect(result.found).toMatch(/cannot tell a copied mount from a propagated one/);
  });
});

