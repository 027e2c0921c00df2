/**
 * `npm run bench`: numbers, not pass/fail. Cold start to both prompts (through the real app
 * and through a bare stage), lab world and container start, draining `seq 1 2000000` through
 * a pane (PTY + emulator) against a bare PTY, keystroke echo latency in the other pane while
 * one pane floods, how long each lab's checks take, doctor, and peak RSS.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { checkPrerequisites } from '../src/doctor.ts';
import { loadLabs } from '../src/labs/catalog.ts';
import { runChecks, typeSolution } from '../src/labs/runner.ts';
import { ensureHostRootfs } from '../src/rootfs/build.ts';
import { PLAYGROUND, Stage, screenText } from '../src/world/stage.ts';
import { AppUnderTest } from '../test/support/app.ts';

const RUNS = 5;
const FLOOD = 'seq 1 2000000';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function line(name: string, values: number[], unit = 'ms'): void {
  const fmt = (v: number) => v.toFixed(unit === 'ms' ? 0 : 1);
  console.log(`${name.padEnd(44)} median ${fmt(median(values)).padStart(6)} ${unit}   min ${fmt(Math.min(...values))}  max ${fmt(Math.max(...values))}  (n=${values.length})`);
}

async function until(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('bench: timed out');
    await new Promise((r) => setImmediate(r));
  }
}

const bothPrompts = (host: string, container: string) => host.includes('root@host') && container.includes('root@container');

/** Peak resident memory of a process, in MB (VmHWM, proc(5)). */
function peakRssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

const appPeakRss: number[] = [];

async function appColdStart(): Promise<number[]> {
  const times: number[] = [];
  const stateDir = mkdtempSync(join(tmpdir(), 'nslab-bench-state-'));
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const app = new AppUnderTest(['play'], { stateDir });
    await app.waitFor((s) => s.includes('root@host') && s.includes('root@container'), 'prompts', 30_000);
    times.push(performance.now() - started);
    // Some work in both panes, then the app's own peak memory.
    app.type('seq 1 200000\r\x07\tseq 1 200000\r');
    await app.waitFor(() => /[┃│]200000\s/.test(app.half('left')) && /[┃│]200000\s/.test(app.half('right')), 'both panes drained', 30_000);
    appPeakRss.push(peakRssMB(app.pid));
    app.type('\x07q');
    await app.exited;
  }
  rmSync(stateDir, { recursive: true, force: true });
  return times;
}

async function stageStart(tar: string) {
  const total: number[] = [];
  const world: number[] = [];
  const container: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    const stage = await Stage.open(PLAYGROUND, tar, { cols: 80, rows: 24 });
    await until(() => bothPrompts(screenText(stage.host), screenText(stage.container)));
    total.push(performance.now() - started);
    world.push(stage.timings.world);
    container.push(stage.timings.container);
    await stage.close();
  }
  return { total, world, container };
}

/** Ctrl-g r: the old world is torn down and a fresh one opened, to both prompts. */
async function resetTimes(tar: string): Promise<number[]> {
  const times: number[] = [];
  let stage = await Stage.open(PLAYGROUND, tar, { cols: 80, rows: 24 });
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await stage.close();
    stage = await Stage.open(PLAYGROUND, tar, { cols: 80, rows: 24 });
    await until(() => bothPrompts(screenText(stage.host), screenText(stage.container)));
    times.push(performance.now() - started);
  }
  await stage.close();
  return times;
}

async function drainBarePty(): Promise<number> {
  const started = performance.now();
  const term = pty.spawn('/bin/sh', ['-c', FLOOD], { cols: 80, rows: 24 });
  let bytes = 0;
  term.onData((d) => (bytes += d.length));
  await new Promise<void>((resolve) => term.onExit(() => resolve()));
  if (bytes < 10_000_000) throw new Error(`bare PTY read only ${bytes} bytes`);
  return performance.now() - started;
}

/** Drains the flood through the host pane while measuring echo latency in the container pane. */
async function drainPane(tar: string): Promise<{ drain: number; echo: number[] }> {
  const stage = await Stage.open(PLAYGROUND, tar, { cols: 80, rows: 24 });
  await until(() => bothPrompts(screenText(stage.host), screenText(stage.container)));
  const echo: number[] = [];
  const started = performance.now();
  stage.host.write(`${FLOOD}; echo nslab-bench-$((40+2))\r`);
  let done = false;
  const finished = until(() => screenText(stage.host).includes('nslab-bench-42')).then(() => (done = true));
  // Keystrokes in the other pane must keep echoing while this one floods.
  for (let i = 0; !done && i < 20; i++) {
    const mark = String.fromCharCode(97 + i);
    const sent = performance.now();
    stage.container.write(mark);
    await until(() => screenText(stage.container).includes(`#${'abcdefghijklmnopqrst'.slice(0, i + 1)}`) || screenText(stage.container).includes('abcdefghijklmnopqrst'.slice(0, i + 1)));
    echo.push(performance.now() - sent);
    await new Promise((r) => setTimeout(r, 50));
  }
  await finished;
  const drain = performance.now() - started;
  const received = stage.host.received;
  await stage.close();
  if (received < 10_000_000) throw new Error(`pane received only ${received} characters`);
  return { drain, echo };
}

/** How long a step's checks take, on the starting state and after the solution (slowest step). */
async function checkTimes(tar: string): Promise<void> {
  for (const lab of await loadLabs()) {
    const stage = await Stage.open(lab.start, tar, { cols: 100, rows: 30 });
    await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
    const before: number[] = [];
    const after: number[] = [];
    for (const step of lab.steps) {
      before.push(await medianRun(() => runChecks(step, stage)));
      await typeSolution(step, stage);
      after.push(await medianRun(() => runChecks(step, stage)));
    }
    await stage.close();
    console.log(`${`checks of a step, ${lab.id}`.padEnd(44)} slowest step: ${Math.max(...before).toFixed(1)} ms failing, ${Math.max(...after).toFixed(1)} ms passing`);
  }
}

async function medianRun(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

async function doctorTimes(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await checkPrerequisites();
    times.push(performance.now() - started);
  }
  return times;
}

const rootfsStarted = performance.now();
const image = await ensureHostRootfs();
const rootfsMs = performance.now() - rootfsStarted;
console.log(`nslab bench — ${new Date().toISOString()} — node ${process.version}, ${RUNS} runs each\n`);
console.log(`container image: ${(image.bytes / 1e6).toFixed(1)} MB (${image.description}); ready in ${rootfsMs.toFixed(0)} ms`);
line('nslab doctor (all prerequisites)', await doctorTimes());
line('cold start, app launch to both prompts', await appColdStart());
const stage = await stageStart(image.tarPath);
line('stage open to both prompts', stage.total);
line('  lab world start (level 1 + 2, rootfs)', stage.world);
line('  container start', stage.container);
line('reset: old world down, fresh one to both prompts', await resetTimes(image.tarPath));
const bare: number[] = [];
const pane: number[] = [];
const echo: number[] = [];
for (let i = 0; i < 3; i++) {
  bare.push(await drainBarePty());
  const result = await drainPane(image.tarPath);
  pane.push(result.drain);
  echo.push(...result.echo);
}
line(`drain \`${FLOOD}\`, bare PTY`, bare);
line(`drain \`${FLOOD}\`, lab pane (PTY+emulator)`, pane);
line('keystroke echo in the other pane meanwhile', echo);
await checkTimes(image.tarPath);
line('peak RSS of the app (after 200k lines per pane)', appPeakRss, 'MB');
console.log(`${'peak RSS of this bench process'.padEnd(44)} ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
process.exit(0);
