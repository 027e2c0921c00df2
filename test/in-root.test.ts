/**
 * nslab reads a lab process's files as that process would: symlinks resolve inside its root,
 * and content it could not read itself stays unread, even when nslab runs as root.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsAs, listAs, readFileAs, readlinkAs, statAs } from '../src/kernel/in-root.ts';
import { ProcTooLargeError, readProcText } from '../src/kernel/proc.ts';
import { readMountinfo } from '../src/kernel/mountinfo.ts';
import { LabWorld } from '../src/world/world.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

let world: LabWorld;
let realDir: string;
const SECRET = 'REAL-MACHINE-SECRET';

beforeAll(async () => {
  // A real file outside the lab, readable only by its owner (root here).
  realDir = mkdtempSync('/tmp/nslab-in-root-');
  writeFileSync(join(realDir, 'secret'), SECRET);
  chmodSync(join(realDir, 'secret'), 0o600);
  world = await LabWorld.start({ rootfsTar: await testRootfsTar() });
  await world.exec(`mkdir -p /root/trap && cd /root/trap && echo lab-text > mine &&
    ln -s ${realDir}/secret abs-link && ln -s ../../../../..${realDir}/secret dotdot-link &&
    ln -s /proc/1/root/etc/hostname magic-link && ln -s /etc/shadow shadow-link && ln -s ${realDir} dir-link`);
});

afterAll(async () => {
  await world.stop();
  rmSync(realDir, { recursive: true, force: true });
});

it('reads what the lab itself can read', () => {
  const lab = world.labHostPid;
  expect(readFileAs(lab, '/root/trap/mine')).toBe('lab-text\n');
  expect(readFileAs(lab, '/etc/hostname')).not.toBeNull(); // world-readable, bound from the real /etc
  expect(listAs(lab, '/root/trap')).toContain('mine');
  expect(readlinkAs(lab, '/root/trap/abs-link')).toBe(`${realDir}/secret`);
});

it('never follows a lab symlink out to the real machine', () => {
  const lab = world.labHostPid;
  // The naive read, through the magic link, is the hole: the absolute symlink resolves on the real machine.
  expect(readFileSync(`/proc/${lab}/root/root/trap/abs-link`, 'utf8')).toBe(SECRET);
  for (const link of ['abs-link', 'dotdot-link', 'magic-link']) {
    expect(readFileAs(lab, `/root/trap/${link}`), link).toBeNull();
  }
  expect(existsAs(lab, '/root/trap/abs-link')).toBe(false); // resolves to the lab's own /tmp
  expect(listAs(lab, '/root/trap/dir-link')).toBeNull();
  expect(statAs(lab, '/root/trap/dotdot-link')).toBeNull();
});

it('does not read, on the lab\'s behalf, a real file the lab cannot read', () => {
  const lab = world.labHostPid;
  expect(existsAs(lab, '/etc/shadow')).toBe(true); // the real /etc is bound into the lab...
  expect(readFileAs(lab, '/etc/shadow')).toBeNull(); // ...but lab root may not read it, so nor does nslab
  expect(readFileAs(lab, '/root/trap/shadow-link')).toBeNull();
});

describe('no read of a lab file can block or run away (issue 9, finding 2)', () => {
  beforeAll(async () => {
    // chroot-escape's attack: the file a check reads becomes a FIFO; one with no writer (open
    // blocks), one fed for ever by a writer (a read never ends), a device, a socket, a big file.
    const made = await world.exec(`cd /root/trap && mkfifo fifo fed && { (exec </dev/null >/dev/null 2>&1; yes fed > fed) & } &&
      ln -s /dev/zero zero && touch bound && mount --bind /dev/zero bound &&
      head -c 3000000 /dev/zero > big && mkdir many && cd many && seq 1 300 | xargs touch`);
    expect(made.stderr).toBe('');
  });

  it('refuses FIFOs, devices and files over the cap, without blocking', () => {
    const paths = ['fifo', 'fed', 'zero', 'bound', 'big', 'mine', 'many'].map((p) => `/root/trap/${p}`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/read-as-child.ts', String(world.labHostPid), ...paths], {
      encoding: 'utf8',
      timeout: 20_000,
      killSignal: 'SIGKILL',
      maxBuffer: 1 << 20,
    });
    expect(child.signal, `the reads hung: ${child.stderr}`).toBeNull();
    expect(JSON.parse(child.stdout)).toEqual({
      '/root/trap/fifo': { text: null, list: null },
      '/root/trap/fed': { text: null, list: null },
      '/root/trap/zero': { text: null, list: null },
      '/root/trap/bound': { text: null, list: null },
      '/root/trap/big': { text: null, list: null }, // 3 MB, over the 1 MiB cap
      '/root/trap/mine': { text: 'lab-text\n', list: null },
      '/root/trap/many': { text: null, list: 300 },
    });
  });

  it('a /proc file of a lab process over the cap is an error, never a partial read', async () => {
    const mounts = await world.exec('for i in $(seq 1 200); do mount -t tmpfs nslab-many /mnt || exit 1; done; echo ok');
    expect(mounts.stdout).toBe('ok\n');
    const lab = world.labHostPid;
    expect(readMountinfo(lab)?.length).toBeGreaterThan(200); // the default cap (8 MiB) is far above
    expect(() => readProcText(lab, 'mountinfo', [], 4096)).toThrow(ProcTooLargeError);
    await world.exec('for i in $(seq 1 200); do umount /mnt; done');
  });
});
