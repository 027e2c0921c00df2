/**
 * However nslab ends — Ctrl-g q, a signal, its terminal closing, SIGKILL, a crash, a quit while
 * the world is still starting or while a reset replaces it — nothing is left: no process,
 * mount, link, cgroup, temp file or directory; and (but for SIGKILL) the terminal is restored.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendantsOf } from '../src/world/pids.ts';
import { AppUnderTest } from './support/app.ts';
import { guardRealMachine, eventually, hostSnapshot, isGone, nslabCgroupsOf } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

const before = guardRealMachine(testRootfsTar);
const started: AppUnderTest[] = [];
// Whatever a test did, no app outlives the file (the guard then checks nothing was left).
afterAll(() => {
  for (const app of started) app.kill();
});

/** The app with a TMPDIR of its own, so that any temp file it leaves is seen. */
function startApp(args: string[], preload?: string): { app: AppUnderTest; tmp: string } {
  const tmp = mkdtempSync(join(tmpdir(), 'nslab-lifetime-tmp-'));
  const app = new AppUnderTest(args, { preload, env: { TMPDIR: tmp } });
  started.push(app);
  return { app, tmp };
}

/** Starts the playground, makes a veth and a mount in the lab, returns the app and every lab pid. */
async function startBusyLab(preload?: string): Promise<{ app: AppUnderTest; pids: number[]; tmp: string }> {
  const { app, tmp } = startApp(['play'], preload);
  await app.waitFor((s) => s.includes('root@host:~#') && s.includes('root@container:/#'), 'both prompts', 30_000);
  app.type('\x07\tip link add nslab-v0 type veth peer name nslab-v1 && mount -t tmpfs nslab-t /mnt && echo made-$((6*7))\r');
  await app.waitFor(() => app.half('left').includes('made-42'), 'veth and mount made in the lab');
  const pids = descendantsOf(app.pid);
  expect(pids.length).toBeGreaterThan(8); // the app, the world's levels, two panes, their shells
  return { app, pids, tmp };
}

/** Temp files the app could leave: in its TMPDIR, its state dir (progress.json.tmp-…), the cache (….<pid>.….tmp). */
function tempFilesOf(app: AppUnderTest, tmp: string): string[] {
  const cache = join(tmpdir(), 'nslab-test-xdg-cache', 'nslab');
  return [
    // tsx-<uid> is tsx's compile cache (when the app runs from sources), kept on purpose across runs.
    ...readdirSync(tmp).filter((f) => !/^tsx-\d+$/.test(f)).map((f) => join(tmp, f)),
    ...(existsSync(join(app.stateDir, 'nslab')) ? readdirSync(join(app.stateDir, 'nslab')) : readdirSync(app.stateDir)).filter((f) => f.includes('.tmp')),
    ...(existsSync(cache) ? readdirSync(cache).filter((f) => f.includes(`.${app.pid}.`)) : []),
  ];
}

/** No process, mount, link, cgroup or temp file of the app is left (`pids`: every lab pid seen while it ran). */
async function expectNothingLeft(app: AppUnderTest, pids: number[], tmp: string): Promise<void> {
  expect(await eventually(() => [...pids, ...descendantsOf(app.pid)].every(isGone), 5_000)).toBe(true);
  expect(hostSnapshot()).toEqual(before());
  // The world's reaper removes its cgroups once nslab is gone, whatever the way out.
  expect(await eventually(() => nslabCgroupsOf(app.pid).length === 0, 10_000), nslabCgroupsOf(app.pid).join(' ')).toBe(true);
  expect(tempFilesOf(app, tmp)).toEqual([]);
}

describe('when nslab ends', () => {
  it('on Ctrl-g q it quits cleanly: terminal restored, nothing left', async () => {
    const { app, pids, tmp } = await startBusyLab();
    expect(nslabCgroupsOf(app.pid).length + Number(process.getuid!() !== 0)).toBeGreaterThan(0); // a world has its cgroups
    app.type('\x07q');
    expect(await app.exited).toBe(0);
    expect(app.term.buffer.active.type).toBe('normal');
    await expectNothingLeft(app, pids, tmp);
  });

  it('on Ctrl-g q while a pane floods and its terminal has stopped reading, it still quits: nothing waits on the terminal', async () => {
    const { app, pids, tmp } = await startBusyLab();
    // A flood whose every frame differs (`yes` repeats one line: its frames are empty).
    app.type('seq 1 1000000000\r');
    await app.waitFor((s) => /\d{6}/.test(s), 'the flood on screen');
    // The terminal's buffer fills within a frame or two; a write(2) that waited for the
    // terminal would hold nslab from here on, and no key would be read.
    app.pauseReading();
    await new Promise((r) => setTimeout(r, 1500));
    app.type('\x07q');
    const gone = await eventually(() => isGone(app.pid), 10_000);
    app.resumeReading();
    expect(gone).toBe(true);
    expect(await app.exited).toBe(0);
    await expectNothingLeft(app, pids, tmp);
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`on ${signal} it quits cleanly: terminal restored, nothing left`, async () => {
      const { app, pids, tmp } = await startBusyLab();
      process.kill(app.pid, signal);
      expect(await app.exited).toBe(0);
      expect(app.term.buffer.active.type).toBe('normal');
      await expectNothingLeft(app, pids, tmp);
    });
  }

  it('on SIGKILL the kernel removes everything', async () => {
    const { app, pids, tmp } = await startBusyLab();
    process.kill(app.pid, 'SIGKILL');
    await app.exited;
    await expectNothingLeft(app, pids, tmp);
  });

  it('on a crash it restores the terminal, says so, and leaves nothing', async () => {
    const { app, pids, tmp } = await startBusyLab('./test/support/crash-on-signal.mjs');
    process.kill(app.pid, 'SIGUSR2');
    expect(await app.exited).toBe(70);
    expect(app.term.buffer.active.type).toBe('normal');
    expect(app.screen()).toContain('nslab crashed: test crash');
    await expectNothingLeft(app, pids, tmp);
  });

  it('on a quit while the world is still starting, nothing is left', async () => {
    const { app, tmp } = startApp(['play']);
    const pids = new Set<number>();
    // Quit as soon as a lab world process exists, before the panes' prompts; keep asking until
    // the app reads keys (before its UI loads they wait in the terminal).
    await eventually(() => descendantsOf(app.pid).some((pid) => /nslab-init|unshare/.test(readCmdline(pid))), 15_000);
    let exited = false;
    void app.exited.then(() => (exited = true));
    for (let i = 0; i < 100 && !exited; i++) {
      for (const pid of descendantsOf(app.pid)) pids.add(pid);
      app.type('\x07q');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await app.exited).toBe(0);
    expect(app.term.buffer.active.type).toBe('normal');
    await expectNothingLeft(app, [...pids], tmp);
  });

  it('on a quit while a reset replaces the world, nothing of either world is left', async () => {
    const { app, pids, tmp } = await startBusyLab();
    app.type('\x07r');
    await eventually(() => app.screen().includes('Starting a fresh lab world'), 5_000);
    const during = descendantsOf(app.pid);
    app.type('\x07q');
    expect(await app.exited).toBe(0);
    expect(app.term.buffer.active.type).toBe('normal');
    await expectNothingLeft(app, [...pids, ...during], tmp);
  });
});

function readCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}
