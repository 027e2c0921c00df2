/**
 * The lab world for real: safety (read-only, locked binds; lab root is not real root),
 * separation (hostname, namespaces) and kernel-owned teardown, by stop() and by SIGKILL of
 * the process that owns the world. The real machine must be exactly as before.
 */
import { spawn } from 'node:child_process';
import { readlinkSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_TYPES } from '../src/kernel/namespaces.ts';
import { findMount, readMountinfo } from '../src/kernel/mountinfo.ts';
import { LabWorld } from '../src/world/world.ts';
import { descendantsOf } from '../src/world/pids.ts';
import { eventually, hostSnapshot, isGone, leftoverProcesses, type HostSnapshot } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

let rootfsTar: string;
let before: HostSnapshot;

beforeAll(async () => {
  rootfsTar = await testRootfsTar();
  before = hostSnapshot();
});

afterAll(() => {
  expect(hostSnapshot()).toEqual(before);
  expect(leftoverProcesses()).toEqual([]);
});

describe('lab world', () => {
  let world: LabWorld;
  beforeAll(async () => {
    world = await LabWorld.start({ rootfsTar });
  });
  afterAll(async () => {
    await world.stop();
  });

  it('is a lab host called "host" with every namespace of its own', async () => {
    expect((await world.exec('hostname')).stdout).toBe('host\n');
    for (const type of NS_TYPES) {
      expect(readlinkSync(`/proc/${world.labHostPid}/ns/${type}`), type).not.toBe(readlinkSync(`/proc/self/ns/${type}`));
    }
  });

  it('binds the real /usr and /etc read-only, and the lock holds', async () => {
    const touch = await world.exec('touch /usr/nslab-test; touch /etc/nslab-test');
    expect(touch.code).not.toBe(0);
    expect(touch.stderr).toContain("cannot touch '/usr/nslab-test': Read-only file system");
    expect(touch.stderr).toContain("cannot touch '/etc/nslab-test': Read-only file system");
    // Lab root owns its mount namespace, yet the kernel refuses to unlock the binds.
    const remount = await world.exec('mount -o remount,rw /usr');
    expect(remount.code).not.toBe(0);
    expect(remount.stderr).toMatch(/permission denied/i);
    const umount = await world.exec('umount /usr || umount -l /etc');
    expect(umount.code).not.toBe(0);
    const mounts = readMountinfo(world.labHostPid)!;
    for (const path of ['/usr', '/etc']) {
      expect(findMount(mounts, path)?.options, path).toContain('ro');
    }
  });

  it('has its own /tmp, /root and /home on a tmpfs', async () => {
    const result = await world.exec('for d in / /tmp /root /home; do stat -f -c %T $d; done; echo x > /tmp/f && cat /tmp/f');
    expect(result.stdout).toBe('tmpfs\ntmpfs\ntmpfs\ntmpfs\nx\n');
  });

  it('maps lab root to an unprivileged uid, never to real root', async () => {
    const map = readFileSync(`/proc/${world.labHostPid}/uid_map`, 'utf8').trim().split(/\s+/);
    expect(map[0]).toBe('0'); // lab root...
    const status = readFileSync(`/proc/${world.labHostPid}/status`, 'utf8');
    const realUid = Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
    if (process.getuid!() === 0) expect(realUid).toBe(world.identity.uid);
    else expect(realUid).toBe(process.getuid!());
    expect(realUid).not.toBe(0);
    // ...so the real machine's sysctls stay closed to it.
    // The file is there (a misspelt path would also fail, with ENOENT), its value is what it
    // was, and the write is refused for lack of permission, not for any other reason.
    const sysctl = await world.exec('f=/proc/sys/kernel/printk_ratelimit; test -f "$f" && cat "$f"; echo 0 > "$f"');
    expect(sysctl.stdout).toBe(readFileSync('/proc/sys/kernel/printk_ratelimit', 'utf8'));
    expect(sysctl.code).not.toBe(0);
    expect(sysctl.stderr).toMatch(/Permission denied/);
  });

  it('extracted the container rootfs', async () => {
    const result = await world.exec('test -x /labs/rootfs/bin/sh && echo yes');
    expect(result.stdout).toBe('yes\n');
  });
});

describe('lab world teardown', () => {
  it('stop() leaves no process behind', async () => {
    const world = await LabWorld.start({ rootfsTar });
    await world.exec('sleep 1000 >/dev/null 2>&1 & echo started');
    const pids = [world.anchorPid, ...descendantsOf(world.anchorPid)];
    expect(pids.length).toBeGreaterThanOrEqual(3);
    await world.stop();
    expect(await eventually(() => pids.every(isGone))).toBe(true);
  });

  it('SIGKILL of the owning process tears the whole world down', async () => {
    // A separate owner process, so we can kill it the hard way.
    const owner = spawn(process.execPath, ['--import', 'tsx', '-e', `
      import('./src/world/world.ts').then(async ({ LabWorld }) => {
        const world = await LabWorld.start({ rootfsTar: ${JSON.stringify(rootfsTar)} });
        await world.exec('sleep 1000 >/dev/null 2>&1 &');
        console.log(JSON.stringify({ anchor: world.anchorPid }));
        setInterval(() => {}, 1000);
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => owner.stdout!.once('data', (d) => resolve(String(d))));
    const { anchor } = JSON.parse(line) as { anchor: number };
    const pids = [anchor, ...descendantsOf(anchor)];
    expect(pids.length).toBeGreaterThanOrEqual(4); // anchor, level 1, lab host, sleep
    owner.kill('SIGKILL');
    expect(await eventually(() => pids.every(isGone))).toBe(true);
  });
});
