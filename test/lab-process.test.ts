/**
 * nslab inspects and enters only processes of the lab world (issue 9, finding 4): a pane
 * whose foreground process group is stale (a program made its own group the foreground and
 * exited) names a pid the machine may give to anything; once a real process has it, nslab
 * must not take that process for the pane's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tcgetpgrp } from '../native/libc.ts';
import { listChildren } from '../src/kernel/proc.ts';
import { PLAYGROUND, Stage } from '../src/world/stage.ts';
import { guardRealMachine } from './support/host.ts';
import { typeCommand } from './support/lab.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

let stage: Stage;
const realProcesses: ChildProcess[] = [];

beforeAll(async () => {
  stage = await Stage.open(PLAYGROUND, await testRootfsTar(), { cols: 100, rows: 30 });
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
});

afterAll(async () => {
  for (const child of realProcesses) child.kill('SIGKILL');
  await stage?.close();
});

/** The pane's raw tcgetpgrp(3), which is what nslab used to trust. */
function rawForeground(pane: Stage['host']): number {
  return tcgetpgrp((pane as unknown as { pty: { _fd: number } }).pty._fd);
}

/**
 * Makes `pid` a real-machine process again, as pid reuse would: a `sleep` started right after
 * /proc/sys/kernel/ns_last_pid is set to the pid before it (only root may write it). On a busy
 * machine another process (or thread) may take the pid first, which is reuse all the same.
 * False if the pid stays free.
 */
async function reusePid(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (existsSync(`/proc/${pid}`)) return true;
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    realProcesses.push(child);
    if (child.pid === pid) return true;
    child.kill('SIGKILL');
    if (attempt % 20 === 19) await new Promise((r) => setTimeout(r, 5));
  }
  return existsSync(`/proc/${pid}`);
}

it('tells lab processes from real ones, level 1 included', () => {
  const world = stage.world;
  expect(world.owns(world.labHostPid)).toBe(true);
  expect(world.owns(stage.containerRealPid)).toBe(true); // in a pid namespace nested in the lab host's
  expect(world.owns(stage.host.foregroundPid()!)).toBe(true);
  expect(world.owns(process.pid)).toBe(false);
  expect(world.owns(1)).toBe(false);
  expect(world.owns(world.anchorPid)).toBe(false);
  const level1 = listChildren(world.anchorPid)![0]!;
  expect(world.owns(level1)).toBe(false); // the lab host's parent: not the lab's to read
  expect(world.owns(stage.host.pid)).toBe(false); // nsenter, on the real machine's side
});

it.runIf(process.getuid!() === 0)('a stale foreground group whose pid a real process got is not the pane\'s', async () => {
  // A child makes its own group the terminal's foreground and exits; the parent keeps the job alive.
  await typeCommand(stage.host, `perl -MPOSIX -e '$SIG{TTOU}="IGNORE"; open(my $t, "+<", "/dev/tty") or die; my $p = fork; if (!$p) { setpgid(0, 0); tcsetpgrp(fileno($t), $$) or die "tcsetpgrp: $!"; print "STALE-GROUP\\n"; exit 0 } waitpid($p, 0); sleep 60'`);
  const stale = rawForeground(stage.host);
  expect(stale).toBeGreaterThan(0);
  expect(stage.host.foregroundPid()).toBeNull(); // the group is gone: no process

  expect(await reusePid(stale), `could not get a real process with pid ${stale}`).toBe(true);
  expect(rawForeground(stage.host)).toBe(stale); // the terminal still names it...
  expect(stage.host.foregroundPid()).toBeNull(); // ...but nslab does not take the real sleep for the pane's
  expect(stage.world.owns(stale)).toBe(false);
  stage.host.write('\x03'); // Ctrl-C ends the perl parent
});

it('enters the lab host by open namespace files, never `nsenter -t <pid>`', async () => {
  const entry = stage.world.openEntry();
  try {
    expect(entry.argv).not.toContain('-t');
    expect(entry.argv.join(' ')).not.toContain(String(stage.world.labHostPid));
  } finally {
    entry.close();
  }
  expect((await stage.world.exec('hostname')).stdout).toBe('host\n');
});
