/**
 * However nslab ends — a signal, its terminal closing, SIGKILL, a crash — every lab process,
 * mount, namespace and veth is gone, and (but for SIGKILL) the terminal is restored.
 */
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

/** Starts the playground, makes a veth and a mount in the lab, returns the app and every lab pid. */
async function startBusyLab(preload?: string): Promise<{ app: AppUnderTest; pids: number[] }> {
  const app = new AppUnderTest(['play'], { preload });
  started.push(app);
  await app.waitFor((s) => s.includes('root@host:~#') && s.includes('root@container:/#'), 'both prompts');
  app.type('\x07\tip link add nslab-v0 type veth peer name nslab-v1 && mount -t tmpfs nslab-t /mnt && echo made-$((6*7))\r');
  await app.waitFor(() => app.half('left').includes('made-42'), 'veth and mount made in the lab');
  const pids = descendantsOf(app.pid);
  expect(pids.length).toBeGreaterThan(8); // the app, the world's levels, two panes, their shells
  if (process.getuid!() === 0) expect(nslabCgroupsOf(app.pid)).not.toEqual([]); // the world's limits
  return { app, pids };
}

/** Every cgroup of the app's lab worlds is gone (the world's reaper removes them, issue 9). */
const noCgroupsLeft = (app: AppUnderTest) => eventually(() => nslabCgroupsOf(app.pid).length === 0, 10_000);

describe('when nslab ends', () => {
  it('on Ctrl-g q it quits cleanly: terminal restored, nothing left', async () => {
    const { app, pids } = await startBusyLab();
    app.type('\x07q');
    expect(await app.exited).toBe(0);
    expect(app.term.buffer.active.type).toBe('normal');
    expect(await eventually(() => pids.every(isGone))).toBe(true);
    expect(await noCgroupsLeft(app)).toBe(true);
    expect(hostSnapshot()).toEqual(before());
  });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`on ${signal} it quits cleanly: terminal restored, nothing left`, async () => {
      const { app, pids } = await startBusyLab();
      process.kill(app.pid, signal);
      expect(await app.exited).toBe(0);
      expect(app.term.buffer.active.type).toBe('normal');
      expect(await eventually(() => pids.every(isGone))).toBe(true);
      expect(await noCgroupsLeft(app)).toBe(true);
      expect(hostSnapshot()).toEqual(before());
    });
  }

  it('on SIGKILL the kernel removes everything', async () => {
    const { app, pids } = await startBusyLab();
    process.kill(app.pid, 'SIGKILL');
    await app.exited;
    expect(await eventually(() => pids.every(isGone))).toBe(true);
    expect(await noCgroupsLeft(app)).toBe(true);
    expect(hostSnapshot()).toEqual(before());
  });

  it('on a crash it restores the terminal, says so, and leaves nothing', async () => {
    const { app, pids } = await startBusyLab('./test/support/crash-on-signal.mjs');
    process.kill(app.pid, 'SIGUSR2');
    expect(await app.exited).toBe(70);
    expect(app.term.buffer.active.type).toBe('normal');
    expect(app.screen()).toContain('nslab crashed: test crash');
    expect(await eventually(() => pids.every(isGone))).toBe(true);
    expect(await noCgroupsLeft(app)).toBe(true);
  });
});
