/**
 * nslab's own ping (assets/ping.c), for real in a lab world built as for a machine without
 * iputils ping (`without: ['ping']`, so this runs the same whether or not this machine has one):
 * it is /bin/ping in the container and on the lab host's PATH, answers across a veth with the
 * lines iputils prints, stops with a summary on Ctrl-C, reports an unreachable neighbour, and
 * says why when it may open neither a raw nor a ping socket. And on a machine that has a ping,
 * the lab uses that one and adds nothing to the lab host.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeCommand } from '../src/labs/runner.ts';
import { ensureHostRootfs } from '../src/rootfs/build.ts';
import { PLAYGROUND, Stage, screenText } from '../src/world/stage.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

const cacheDir = mkdtempSync(join(tmpdir(), 'nslab-test-ping-cache-'));
const withoutPing = () => ensureHostRootfs({ cacheDir, without: ['ping'] });
guardRealMachine(async () => {
  await withoutPing();
  await testRootfsTar();
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Output of `command` in the pane: the lines after the last prompt line that typed it. */
async function run(stage: Stage, pane: 'host' | 'container', command: string): Promise<string> {
  const p = stage[pane];
  await typeCommand(p, 'clear');
  await typeCommand(p, command);
  const lines = screenText(p).split('\n');
  const at = lines.findIndex((l) => l.endsWith(`# ${command}`));
  return lines.slice(at + 1, -1).join('\n');
}

describe("nslab's ping, on a machine without iputils ping", () => {
  let stage: Stage;
  beforeAll(async () => {
    stage = await Stage.open(PLAYGROUND, (await withoutPing()).tarPath, { cols: 120, rows: 40 });
    await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
    for (const line of [
      'ip link add name hosteth0 type veth peer name cteth0',
      'ip link set cteth0 netns $CPID',
      'ip addr add 192.168.0.1/24 dev hosteth0',
      'ip link set hosteth0 up',
    ]) await typeCommand(stage.host, line);
    for (const line of ['ip addr add 192.168.0.2/24 dev cteth0', 'ip link set cteth0 up']) await typeCommand(stage.container, line);
  });
  afterAll(async () => {
    await stage?.close();
  });

  it('is /bin/ping in the container and on the lab host\'s PATH, and says what it is', async () => {
    expect(await run(stage, 'container', 'readlink -f /bin/ping; ping -V')).toBe(
      '/usr/libexec/nslab/ping\nping from nslab (assets/ping.c), a small stand-in for iputils ping',
    );
    const host = await run(stage, 'host', 'command -v ping; ping -V');
    // This machine may have a ping of its own in /usr; the lab world then adds none.
    expect(host).toMatch(/^(\/labs\/bin\/ping\nping from nslab|\/usr\/s?bin\/ping\n)/);
  });

  it('every command the tutorials type is where they type it, in the container and on the lab host', async () => {
    const paths = '/bin/ls /bin/ps /bin/mount /sbin/ip /bin/ping /usr/sbin/chroot /bin/sh /bin/bash /bin/hostname';
    const commands = 'top pkill pidof findmnt hostname sh bash ping ip nsenter unshare capsh setpriv';
    const probe = `for p in ${paths}; do test -x $p || echo missing $p; done; for c in ${commands}; do command -v $c >/dev/null || echo missing $c; done; echo all-checked`;
    // The probe wraps on screen: judge the output lines only.
    const outcome = async (pane: 'host' | 'container', line: string) => {
      await typeCommand(stage[pane], 'clear');
      await typeCommand(stage[pane], line);
      const screen = screenText(stage[pane]);
      return { done: /^all-checked$/m.test(screen), missing: screen.split('\n').filter((l) => l.startsWith('missing ')) };
    };
    expect(await outcome('container', probe)).toEqual({ done: true, missing: [] });
    // The lab host is the machine's own /usr: its commands, wherever the machine keeps them.
    const hostProbe = `for c in ${commands}; do command -v $c >/dev/null || echo missing $c; done; echo all-checked`;
    expect(await outcome('host', hostProbe)).toEqual({ done: true, missing: [] });
  });

  it('pings across the veth both ways, in the words of iputils', async () => {
    const out = await run(stage, 'container', '/bin/ping -c 2 -i 0.2 192.168.0.1; echo rc=$?');
    expect(out).toMatch(
      new RegExp(
        [
          '^PING 192\\.168\\.0\\.1 \\(192\\.168\\.0\\.1\\) 56\\(84\\) bytes of data\\.',
          '64 bytes from 192\\.168\\.0\\.1: icmp_seq=1 ttl=64 time=[\\d.]+ ms',
          '64 bytes from 192\\.168\\.0\\.1: icmp_seq=2 ttl=64 time=[\\d.]+ ms',
          '',
          '--- 192\\.168\\.0\\.1 ping statistics ---',
          '2 packets transmitted, 2 received, 0% packet loss, time \\d+ms',
          'rtt min/avg/max/mdev = [\\d.]+/[\\d.]+/[\\d.]+/[\\d.]+ ms',
          'rc=0$',
        ].join('\n'),
      ),
    );
    const back = await run(stage, 'host', 'ping -c 1 192.168.0.2; echo rc=$?');
    expect(back).toContain('64 bytes from 192.168.0.2: icmp_seq=1 ttl=64 time=');
    expect(back).toMatch(/1 packets transmitted, 1 received, 0% packet loss.*\n.*\nrc=0$/);
  });

  it('stops on Ctrl-C with the summary', async () => {
    await typeCommand(stage.host, 'clear');
    stage.host.write('ping -i 0.2 192.168.0.2\r');
    for (let i = 0; i < 50 && !/icmp_seq=2 /.test(screenText(stage.host)); i++) await stage.host.settled(200);
    stage.host.write('\x03');
    for (let i = 0; i < 50 && !/rtt min.*\n.*# $/.test(screenText(stage.host)); i++) await stage.host.settled(200);
    const screen = screenText(stage.host);
    expect(screen).toMatch(/\^C\n--- 192\.168\.0\.2 ping statistics ---\n(\d+) packets transmitted, \1 received, 0% packet loss/);
    expect(screen).toMatch(/rtt min\/avg\/max\/mdev = /);
  });

  it('reports a neighbour that never answers, and exits 1 without replies', async () => {
    // The kernel's "host unreachable" about our own packet is delivered to us through lo.
    await typeCommand(stage.container, 'ip link set lo up');
    const out = await run(stage, 'container', 'ping -c 1 -W 5 192.168.0.9; echo rc=$?');
    expect(out).toContain('From 192.168.0.2 icmp_seq=1 Destination Host Unreachable');
    expect(out).toMatch(/1 packets transmitted, 0 received, \+1 errors, 100% packet loss/);
    expect(out).toMatch(/rc=1$/);
    expect(await run(stage, 'container', 'ping -c 1 8.8.8.8; echo rc=$?')).toBe('ping: connect: Network is unreachable\nrc=2');
  });

  it('without CAP_NET_RAW it needs a ping group: says so, then uses a ping socket once allowed', async () => {
    const drop = "capsh --drop=cap_net_raw -- -c 'ping -c 1 192.168.0.1'; echo rc=$?";
    const refused = await run(stage, 'container', drop);
    expect(refused).toContain('ping: socket: Operation not permitted');
    expect(refused).toContain('ping_group_range does not include group 0');
    expect(refused).toMatch(/rc=2$/);
    // A new network namespace starts with no ping group; root of its user namespace may set one.
    await typeCommand(stage.container, 'echo 0 0 > /proc/sys/net/ipv4/ping_group_range');
    const allowed = await run(stage, 'container', drop);
    expect(allowed).toContain('64 bytes from 192.168.0.1: icmp_seq=1');
    expect(allowed).toMatch(/rc=0$/);
  });
});

describe('on a machine with a ping of its own', () => {
  it('the rootfs carries that ping and not nslab\'s', async () => {
    const image = await ensureHostRootfs({ cacheDir });
    const own = await withoutPing();
    expect(own.description).toContain("ping: nslab's own");
    if (/ping: this machine's/.test(image.description)) {
      expect(image.key).not.toBe(own.key);
      expect(image.description).not.toContain("nslab's own");
    } else {
      // No system ping here: the default build is the same as the one without.
      expect(image.key).toBe(own.key);
    }
  });
});
