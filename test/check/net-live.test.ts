/**
 * veth.pair, net.addressed, net.onLink and net.pinged against real network namespaces,
 * including the foolings of issue "Lab format 1": a fake `ip` on the lab's PATH, loopback
 * self-pings; and the spellings that must pass: point-to-point addresses, nsenter -n from the
 * host pane, a ping stopped with Ctrl-C.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { VETH_START, openStage, screenText, type, verdict } from '../support/check.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

const H = 'lab-host';
const C = 'container-init';

async function codes(stage: Stage): Promise<Record<string, string>> {
  const [pair, hostReady, ctReady, link, h2c, c2h] = await Promise.all([
    verdict(stage, 'veth.pair', { subject: C, peerIn: H }),
    verdict(stage, 'net.addressed', { subject: H, peerIn: C }),
    verdict(stage, 'net.addressed', { subject: C, peerIn: H }),
    verdict(stage, 'net.onLink', { subject: H, peerIn: C }),
    verdict(stage, 'net.pinged', { from: H, to: C }),
    verdict(stage, 'net.pinged', { from: C, to: H }),
  ]);
  return { pair: pair.code, hostReady: hostReady.code, ctReady: ctReady.code, link: link.code, h2c: h2c.code, c2h: c2h.code };
}

const screens = (s: Stage) => `--- host ---\n${screenText(s.host)}\n--- container ---\n${screenText(s.container)}`;

describe('a fake ip, self-pings, subnet addresses, Ctrl-C', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openStage(VETH_START);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('a fake ip on the lab host\'s PATH decides nothing', async () => {
    const fake = '[{"ifindex":7,"ifname":"hosteth0","flags":["UP"],"link_index":7,"link_netnsid":0,"linkinfo":{"info_kind":"veth"},"addr_info":[{"family":"inet","local":"192.168.0.1","prefixlen":24}]}]';
    await type(stage, 'host', 'mount -t tmpfs fake /usr/local/sbin', `printf '#!/bin/sh\\necho %s\\n' '${fake}' > /usr/local/sbin/ip`, 'chmod +x /usr/local/sbin/ip', 'hash -r; ip -j addr show type veth');
    expect(screenText(stage.host)).toContain('hosteth0');
    expect((await verdict(stage, 'veth.pair', { subject: H }, 'veth.pair-fake-ip')).code).toBe('none');
    expect(await codes(stage)).toMatchObject({ pair: 'none', hostReady: 'no-pair', ctReady: 'no-pair', link: 'no-pair' });
    await type(stage, 'host', 'umount /usr/local/sbin', 'hash -r');
  });

  it('a pair made in the container pane is named as made there', async () => {
    await type(stage, 'container', 'ip link add name x0 type veth peer name x1');
    const v = await verdict(stage, 'veth.pair', { subject: H, notIn: C });
    expect(v.code).toBe('wrong-namespace');
    expect(v.found).toMatch(/container pane/);
    await type(stage, 'container', 'ip link del x0');
  });

  it('loopback self-pings on both sides stay red; pings across (one stopped with Ctrl-C) pass', async () => {
    await type(stage, 'host', 'ip link add name hosteth0 type veth peer name cteth0');
    expect((await verdict(stage, 'veth.pair', { subject: H })).code).toBe('pass');
    expect((await codes(stage)).pair).toBe('both-there');
    await type(stage, 'host', 'ip link set cteth0 netns $CPID', 'ip addr add 192.168.0.1/24 dev hosteth0', 'ip link set hosteth0 up');
    await type(stage, 'container', 'ip addr add 192.168.0.2/24 dev cteth0', 'ip link set cteth0 up', 'ip link set lo up');
    expect(await codes(stage), screens(stage)).toEqual({ pair: 'pass', hostReady: 'pass', ctReady: 'pass', link: 'pass', h2c: 'not-sent', c2h: 'not-sent' });
    await type(stage, 'host', 'ping -c 2 -W 1 192.168.0.1');
    await type(stage, 'container', 'ping -c 2 -W 1 192.168.0.2');
    const selfOnly = await verdict(stage, 'net.pinged', { from: H, to: C }, 'net.pinged-self');
    expect(selfOnly.code, screens(stage)).toBe('not-across');
    expect(selfOnly.found).toMatch(/from itself/);
    expect((await verdict(stage, 'net.pinged', { from: C, to: H })).code).toBe('not-across');

    // Across: the host with -c, the container stopped by Ctrl-C.
    await type(stage, 'host', 'ping -c 2 -W 1 192.168.0.2');
    stage.container.write('ping 192.168.0.1\r');
    await sleep(2500);
    stage.container.write('\x03');
    await stage.container.settled(2000);
    expect(await codes(stage), screens(stage)).toMatchObject({ h2c: 'pass', c2h: 'pass' });
  });
});

describe('point-to-point addresses, set up from the host pane with nsenter -n', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openStage(VETH_START);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('passes every check', async () => {
    await type(
      stage,
      'host',
      'ip link add name h0 type veth peer name c0',
      'ip link set c0 netns $CPID',
      'ip addr add 10.1.0.1 peer 10.1.0.2 dev h0',
      'ip link set h0 up',
      'nsenter -t $CPID -n ip addr add 10.1.0.2 peer 10.1.0.1 dev c0',
      'nsenter -t $CPID -n ip link set c0 up',
      'ping -c 2 -W 1 10.1.0.2',
      'nsenter -t $CPID -n ping -c 2 -W 1 10.1.0.1',
    );
    expect(await codes(stage), screens(stage)).toEqual({ pair: 'pass', hostReady: 'pass', ctReady: 'pass', link: 'pass', h2c: 'pass', c2h: 'pass' });
    expect((await verdict(stage, 'net.pinged', { from: C, to: H }, 'net.pinged-p2p')).code).toBe('pass');
    expect((await verdict(stage, 'net.onLink', { subject: H, peerIn: C }, 'net.onLink-p2p')).code).toBe('pass');
  });
});

describe('a pair created with its peer straight in the container, other names, another subnet', () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await openStage(VETH_START);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('passes every check', async () => {
    await type(stage, 'host', 'ip link add name up0 type veth peer name down0 netns $CPID', 'ip addr add 10.9.0.5/30 dev up0', 'ip link set up0 up');
    await type(stage, 'container', 'ip addr add 10.9.0.6/30 dev down0', 'ip link set down0 up', 'ping -c 1 -W 1 10.9.0.5');
    await type(stage, 'host', 'ping -c 1 -W 1 10.9.0.6');
    expect(await codes(stage), screens(stage)).toEqual({ pair: 'pass', hostReady: 'pass', ctReady: 'pass', link: 'pass', h2c: 'pass', c2h: 'pass' });
  });
});
