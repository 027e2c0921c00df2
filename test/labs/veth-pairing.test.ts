/**
 * The veth-pairing lab, for real: every check fails at its step's start and on plausible wrong
 * attempts typed into the panes, and passes after the reference solution; other names, another
 * subnet and another command order pass too; `nslab verify` accepts the lab.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import lab from '../../labs/05-veth-pairing.ts';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { builtInLab, expectVerified, openLab, outcomes, screenText, step, typeCommand, typeSolution } from '../support/lab.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

/** Asserts each named check's verdict; `found` must contain the given text when one is given. */
async function expectChecks(stage: Stage, stepId: string, want: Record<string, boolean | [boolean, string]>): Promise<void> {
  const got = await outcomes(lab, stepId, stage);
  expect(Object.keys(got).sort(), `checks of ${stepId}`).toEqual(Object.keys(want).sort());
  for (const [id, w] of Object.entries(want)) {
    const [pass, text] = Array.isArray(w) ? w : [w, undefined];
    const o = got[id]!;
    const context = `${stepId}/${id}: found "${o.found}"\n--- host ---\n${screenText(stage.host)}\n--- container ---\n${screenText(stage.container)}`;
    expect(o.pass, context).toBe(pass);
    expect(o.found.length, context).toBeGreaterThan(0);
    if (text !== undefined) expect(o.found, context).toContain(text);
  }
}

function allChecks(stepId: string, pass: boolean): Record<string, boolean> {
  return Object.fromEntries(step(lab, stepId).checks.map((c) => [c.id, pass]));
}

describe("the tutorial's way, with wrong attempts on the way", () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage.close();
  });

  it('create-pair: a bridge or a pair made in the container is not it; the tutorial command is', async () => {
    await expectChecks(stage, 'create-pair', { 'veth-on-host': [false, 'only lo'] });

    await typeCommand(stage.host, 'ip link add hosteth0 type bridge');
    await expectChecks(stage, 'create-pair', { 'veth-on-host': [false, 'another type'] });
    await typeCommand(stage.host, 'ip link del hosteth0');

    await typeCommand(stage.container, 'ip link add name hosteth0 type veth peer name cteth0');
    await expectChecks(stage, 'create-pair', { 'veth-on-host': [false, 'created in the container pane'] });
    await typeCommand(stage.container, 'ip link del hosteth0');

    await typeSolution(step(lab, 'create-pair'), stage);
    await expectChecks(stage, 'create-pair', { 'veth-on-host': [true, 'cteth0 and hosteth0 are both on the lab host'] });
  });

  it('move-end: another namespace, or both ends in the container, is not it', async () => {
    await expectChecks(stage, 'move-end', {
      'veth-in-container': [false, 'both on the lab host'],
      'peer-on-host': [false, 'both on the lab host'],
    });

    // Into a network namespace that is not the container's.
    await typeCommand(stage.host, 'unshare --net sleep 1000 &');
    await typeCommand(stage.host, 'ip link set cteth0 netns $!');
    await expectChecks(stage, 'move-end', {
      'veth-in-container': [false, 'neither'],
      'peer-on-host': [false, 'neither'],
    });
    await typeCommand(stage.host, 'nsenter -t $! -n ip link set cteth0 netns 1; kill $!');

    // Both ends into the container.
    await typeCommand(stage.host, 'ip link set cteth0 netns $CPID; ip link set hosteth0 netns $CPID');
    await expectChecks(stage, 'move-end', {
      'veth-in-container': true,
      'peer-on-host': [false, 'both ends'],
    });
    // Back to the step's start: both ends on the lab host again.
    await typeCommand(stage.host, "nsenter -t $CPID -n sh -c 'ip link set hosteth0 netns 1; ip link set cteth0 netns 1'");
    await expectChecks(stage, 'move-end', allChecks('move-end', false));

    await typeSolution(step(lab, 'move-end'), stage);
    await expectChecks(stage, 'move-end', {
      'veth-in-container': [true, 'cteth0'],
      'peer-on-host': [true, 'cteth0 in the container is paired with hosteth0'],
    });
  });

  it('address-up: links left down, two subnets, or one address twice are not it', async () => {
    await expectChecks(stage, 'address-up', allChecks('address-up', false));

    // Addresses, but nothing brought up.
    await typeCommand(stage.host, 'ip addr add 192.168.0.1/24 dev hosteth0');
    await typeCommand(stage.container, 'ip addr add 192.168.0.2/24 dev cteth0');
    await expectChecks(stage, 'address-up', {
      'host-end-ready': [false, 'but is down'],
      'container-end-ready': [false, 'but is down'],
      'one-subnet': [false, 'is down'],
    });

    // Up, but in two different subnets.
    await typeCommand(stage.container, 'ip addr flush dev cteth0; ip addr add 192.168.1.2/24 dev cteth0; ip link set cteth0 up');
    await typeCommand(stage.host, 'ip link set hosteth0 up');
    await expectChecks(stage, 'address-up', {
      'host-end-ready': true,
      'container-end-ready': true,
      'one-subnet': [false, 'not one subnet'],
    });

    // The same address on both ends.
    await typeCommand(stage.container, 'ip addr flush dev cteth0; ip addr add 192.168.0.1/24 dev cteth0');
    await expectChecks(stage, 'address-up', { 'host-end-ready': true, 'container-end-ready': true, 'one-subnet': [false, 'both ends have 192.168.0.1'] });

    // Back to the step's start, then the reference solution.
    await typeCommand(stage.container, 'ip addr flush dev cteth0; ip link set cteth0 down');
    await typeCommand(stage.host, 'ip addr flush dev hosteth0; ip link set hosteth0 down');
    await expectChecks(stage, 'address-up', allChecks('address-up', false));
    await typeSolution(step(lab, 'address-up'), stage);
    await expectChecks(stage, 'address-up', {
      'host-end-ready': [true, '192.168.0.1'],
      'container-end-ready': [true, '192.168.0.2'],
      'one-subnet': [true, 'in one subnet'],
    });
  });

  it('ping: a self-ping or a ping one way only is not it', async () => {
    await expectChecks(stage, 'ping', {
      'host-pinged-container': [false, 'no ping has been sent'],
      'container-pinged-host': [false, 'no ping has been sent'],
    });

    // The lab host pings its own address.
    await typeCommand(stage.host, 'ping -c 1 -W 1 192.168.0.1');
    await expectChecks(stage, 'ping', {
      'host-pinged-container': [false, 'pinged itself'],
      'container-pinged-host': false,
    });

    // One way only.
    await typeCommand(stage.host, 'ping -c 1 -W 1 192.168.0.2');
    await expectChecks(stage, 'ping', { 'host-pinged-container': true, 'container-pinged-host': [false, 'no ping has been sent'] });

    await typeSolution(step(lab, 'ping'), stage);
    await expectChecks(stage, 'ping', allChecks('ping', true));
  });
});

describe('any names, any subnet, any order', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openLab(lab);
  });
  afterAll(async () => {
    await stage.close();
  });

  it('a pair created with its peer straight in the container passes every step, quickly', async () => {
    await typeCommand(stage.host, 'ip link add outside type veth peer name inside netns $CPID');
    await expectChecks(stage, 'create-pair', allChecks('create-pair', true));
    await expectChecks(stage, 'move-end', allChecks('move-end', true));
    await typeCommand(stage.host, 'ip addr add 10.9.0.5/30 dev outside && ip link set outside up');
    await typeCommand(stage.container, 'ip addr add 10.9.0.6/30 dev inside && ip link set inside up');
    await expectChecks(stage, 'address-up', allChecks('address-up', true));
    await typeCommand(stage.container, 'ping -c 1 -W 1 10.9.0.5');
    await expectChecks(stage, 'ping', { 'host-pinged-container': false, 'container-pinged-host': true });
    await typeCommand(stage.host, 'ping -c 1 -W 1 10.9.0.6');
    await expectChecks(stage, 'ping', allChecks('ping', true));
  });
});

describe('nslab verify', () => {
  it('accepts the lab: every check fails before its solution and passes after it', async () => {
    await expectVerified(await builtInLab(lab.id));
  });
});
