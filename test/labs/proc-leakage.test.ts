/**
 * Lab "proc-leakage", for real: one stage walks the lab step by step; for every check it must
 * fail on the step's starting state and on plausible wrong attempts (typed into the panes),
 * and pass after the reference solution. verifyLab runs the whole lab once more, headless.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/02-proc-leakage.ts';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { builtInLab, expectVerified, openLab, outcomes, screenText, solveUpTo, step, typeCommand, typeSolution } from '../support/lab.ts';

guardRealMachine();

/** The checks of a step that pass right now, by id. */
async function passing(stepId: string, stage: Stage): Promise<Record<string, boolean>> {
  const result = await outcomes(lab, stepId, stage);
  return Object.fromEntries(Object.entries(result).map(([id, o]) => [id, o.pass]));
}

async function found(stepId: string, checkId: string, stage: Stage): Promise<string> {
  const o = (await outcomes(lab, stepId, stage))[checkId];
  if (!o) throw new Error(`no check ${checkId} in step ${stepId}`);
  return `${o.pass ? 'PASS' : 'fail'}: ${o.found}`;
}

describe('lab proc-leakage, step by step', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage?.close();
  });
  const host = (cmd: string) => typeCommand(stage.host, cmd);
  const ct = (cmd: string) => typeCommand(stage.container, cmd);

  it('mount-proc: fails with no proc, with proc elsewhere, in an escaped shell; passes with the lab host\'s proc on the chroot\'s /proc', async () => {
    await solveUpTo(lab, 'mount-proc', stage);
    expect(await found('mount-proc', 'sees-vault', stage)).toMatch(/^fail: nothing is mounted on \/proc.*empty directory/);

    // A proc mounted somewhere else in the chroot: /proc is still empty.
    await ct('mkdir -p /mnt/p && mount -t proc proc /mnt/p');
    expect(await found('mount-proc', 'sees-vault', stage)).toMatch(/^fail: .*a proc is mounted at \/mnt\/p/);
    await ct('umount /mnt/p');

    // Mounted over the lab host's own /proc from the host pane: the chroot sees nothing of it.
    await host('mount -t proc proc /proc');
    expect(await found('mount-proc', 'sees-vault', stage)).toMatch(/^fail: nothing is mounted on \/proc/);
    await host('umount /proc');

    // A shell that escaped the chroot sees the lab host's /proc without mounting anything;
    // that is not the leak this step is about.
    await ct('escape /bin/bash -i');
    expect(await found('mount-proc', 'sees-vault', stage)).toMatch(/^fail: .*root is the lab host's root/);
    await ct('exit');
    expect((await passing('mount-proc', stage))['sees-vault']).toBe(false);

    // Not a wrong attempt: the chroot shares the lab host's mount namespace, so a proc mounted
    // on $ROOTFS/proc from the host pane is the chroot's /proc. Same kernel state, same verdict.
    await host('mount -t proc proc $ROOTFS/proc');
    expect(await found('mount-proc', 'sees-vault', stage)).toMatch(/^PASS/);
    await host('umount $ROOTFS/proc');
    expect((await passing('mount-proc', stage))['sees-vault']).toBe(false);

    await typeSolution(step(lab, 'mount-proc'), stage);
    expect(await found('mount-proc', 'sees-vault', stage)).toMatch(/^PASS: .*the vault \(pid \d+\) among them/);
    expect(screenText(stage.container)).toContain('/opt/services/vault infinity');
  });

  it('read-secret: fails with no file and with the wrong environment; passes with the vault\'s secret', async () => {
    expect(await found('read-secret', 'secret-stolen', stage)).toMatch(/^fail: there is no \/stolen.txt/);

    // The webserver's environment has no secret.
    await ct("tr '\\0' '\\n' < /proc/$(ps -C webserver -o pid= | tr -d ' ')/environ > /stolen.txt");
    expect(await found('read-secret', 'secret-stolen', stage)).toMatch(/^fail: \/stolen.txt has \d+ bytes, but not the vault's secret/);
    // The chroot shell's own environment, with a made-up secret.
    await ct("{ tr '\\0' '\\n' < /proc/self/environ; echo NSLAB_SECRET=nslab-0000000000000000; } > /stolen.txt");
    expect(await found('read-secret', 'secret-stolen', stage)).toMatch(/^fail: .*names NSLAB_SECRET, but with another value/);

    await typeSolution(step(lab, 'read-secret'), stage);
    expect(await found('read-secret', 'secret-stolen', stage)).toMatch(/^PASS/);
    expect(screenText(stage.container)).toMatch(/NSLAB_SECRET=nslab-[0-9a-f]{16}/);
  });

  it('kill-webserver: fails while it runs and when only stopped; passes once it is dead', async () => {
    expect(await found('kill-webserver', 'webserver-killed', stage)).toMatch(/^fail: the webserver \(lab-host pid \d+\) still runs$/);

    await ct('kill -STOP $(ps -C webserver -o pid=)');
    expect(await found('kill-webserver', 'webserver-killed', stage)).toMatch(/^fail: .* is stopped, not dead/);
    await ct('kill -CONT $(ps -C webserver -o pid=)');
    expect(await found('kill-webserver', 'webserver-killed', stage)).toMatch(/still runs$/);

    await typeSolution(step(lab, 'kill-webserver'), stage);
    expect(await found('kill-webserver', 'webserver-killed', stage)).toMatch(/^PASS/);
  });

  it('pid-namespace: fails for a pid namespace in the host pane and without a fresh proc; passes after the fix', async () => {
    expect(await passing('pid-namespace', stage)).toEqual({ 'own-pid-namespace': false, 'own-proc': false, 'vault-out-of-reach': false });

    // The right command in the wrong pane: the host pane's shell gets the namespace.
    await host('unshare --pid --fork --mount-proc bash');
    expect(await passing('pid-namespace', stage)).toEqual({ 'own-pid-namespace': false, 'own-proc': false, 'vault-out-of-reach': false });
    expect(await found('pid-namespace', 'vault-out-of-reach', stage)).toMatch(/would still reach the vault/);
    await host('exit');

    // A new pid namespace, but /proc is still the lab host's: the vault is still on show.
    await ct('unshare --pid --fork --mount bash');
    expect(await passing('pid-namespace', stage)).toEqual({ 'own-pid-namespace': true, 'own-proc': false, 'vault-out-of-reach': false });
    expect(await found('pid-namespace', 'own-proc', stage)).toMatch(/its \/proc is an old one: .*the vault \(pid \d+\) among them/);
    expect(await found('pid-namespace', 'vault-out-of-reach', stage)).toMatch(/still shows in the container's \/proc/);
    await ct('exit');

    await typeSolution(step(lab, 'pid-namespace'), stage);
    expect(await passing('pid-namespace', stage)).toEqual({ 'own-pid-namespace': true, 'own-proc': true, 'vault-out-of-reach': true });
    expect(await found('pid-namespace', 'own-proc', stage)).toMatch(/all of its own pid namespace \(the shell is pid 1 there\)/);

    // The hole the goal admits: the old /proc still lies under the new one.
    await ct('umount /proc');
    expect(await passing('pid-namespace', stage)).toEqual({ 'own-pid-namespace': true, 'own-proc': false, 'vault-out-of-reach': false });
    await ct('exit');

    // The tutorial's one-liner reaches the same state.
    await ct('unshare --pid --fork --mount-proc bash');
    expect(await passing('pid-namespace', stage)).toEqual({ 'own-pid-namespace': true, 'own-proc': true, 'vault-out-of-reach': true });
  });

  it('the vault must stay alive: killing it fails kill-webserver and vault-out-of-reach', async () => {
    await host('kill $(cat /run/nslab/planted/vault)');
    expect(await found('kill-webserver', 'webserver-killed', stage)).toMatch(/^fail: the webserver is dead, but so is the vault/);
    expect(await found('pid-namespace', 'vault-out-of-reach', stage)).toMatch(/^fail: the vault process is gone/);
  });
});

describe('lab proc-leakage, verified headless', () => {
  it('every check fails before its solution and passes after it', async () => {
    await expectVerified(await builtInLab(lab.id));
  });
});
