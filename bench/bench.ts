/**
 * `npm run bench`: numbers, not pass/fail. Every figure a person would notice is timed at the
 * outer screen (bench/outer.ts): nslab runs in a PTY and its output is parsed by a second
 * headless terminal; tmux (`tmux -f /dev/null new-session \; split-window -h`) is driven the
 * same way, in the same run, interleaved A B A B, so the two share the machine's mood.
 *
 * Per run: launch to both prompts; keystroke echo in an idle pane; `seq 1 2000000` in one pane
 * until its end is on screen, with keystroke echo timed in the other pane meanwhile; the peak
 * resident memory of the whole process tree after that. Then, nslab only: reset time, idle CPU
 * of an open lab, a check run's time per lab, and the classroom curve (bench/classroom.ts).
 *
 * BENCH_RUNS (default 5) sets the number of interleaved runs; BENCH_CLASSROOM=0 skips the
 * classroom (BENCH_CLASSROOM_LEVELS=20,30 tries only those); BENCH_ONLY=screen stops after the
 * side-by-side figures; BENCH_INSTALLED=<prefix>/bin/nslab also times an installed package's
 * launch against the clone's (`npm pack`, then `npm i -g --prefix <prefix> nslab-*.tgz`).
 */
import { mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { loadLabs } from '../src/labs/catalog.ts';
import { runChecks, typeSolution } from '../src/labs/runner.ts';
import { INSPECTOR_VIEWS, Inspector } from '../src/inspect/inspector.ts';
import { ensureHostRootfs } from '../src/rootfs/build.ts';
import { PLAYGROUND, Stage } from '../src/world/stage.ts';
import { classroom } from './classroom.ts';
import { echoFloor } from './echo-floor.ts';
import { NSLAB_ENV, Outer, SCRATCH, cpuQuiet, median, percentile, treeCpuSeconds, treePeakRssMiB } from './outer.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FLOOD_LINES = 2_000_000;
const FLOOD = `seq 1 ${FLOOD_LINES}`;
const IDLE_KEYS = 40;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A program under test: how to start it, switch panes, and what belongs to it. */
interface Subject {
  readonly name: 'nslab' | 'tmux';
  launch(): Outer;
  /** Keys that move the focus to the other pane. */
  readonly otherPane: string;
  /** The processes whose memory and CPU count as the program's. */
  roots(outer: Outer): number[];
  quit(outer: Outer): Promise<void>;
}

const nslab: Subject = {
  name: 'nslab',
  launch: () => new Outer({ argv: ['bin/nslab.js', 'play'], env: NSLAB_ENV }),
  otherPane: '\x07\t',
  roots: (outer) => [outer.pid],
  quit: async (outer) => {
    outer.type('\x07q');
    await outer.exited;
  },
};

const TMUX_SOCKET = 'perf-bench';
const tmuxEnv = { TMUX: '', SHELL: '/bin/bash' };
const tmux: Subject = {
  name: 'tmux',
  // Arguments go to tmux without a shell, so its command separator is a bare ';'.
  launch: () => new Outer({ argv: ['tmux', '-f', '/dev/null', '-L', TMUX_SOCKET, 'new-session', ';', 'split-window', '-h'], env: tmuxEnv }),
  otherPane: '\x02o',
  roots: (outer) => {
    // The server forks away from the client; count both.
    const server = Number(execFileSync('tmux', ['-L', TMUX_SOCKET, 'display-message', '-p', '#{pid}'], { encoding: 'utf8' }).trim());
    return [outer.pid, server];
  },
  quit: async (outer) => {
    execFileSync('tmux', ['-L', TMUX_SOCKET, 'kill-server']);
    await outer.exited;
  },
};

/** Each half of the screen shows a shell prompt (box-drawing borders aside). */
function bothPrompts(outer: Outer): boolean {
  const prompt = (text: string) => /[#$]$/m.test(text.replace(/[│┃╭╮╰╯┏┓┗┛─━]/g, '').replace(/[ \t]+$/gm, ''));
  return prompt(outer.half('left')) && prompt(outer.half('right'));
}

function hasPromptWith(text: string, typed: string): boolean {
  return text.includes(`# ${typed}`) || text.includes(`$ ${typed}`);
}

const LETTERS = 'kqzjxvwmbpfyghdcnlrtusoiea';

/**
 * Types letters at the prompt of the focused pane (on the `side` half of the screen) one at a
 * time, each once the previous one is visible, and returns each key's echo latency. Every 26
 * letters the line is cleared (Ctrl-U).
 */
async function echoKeys(outer: Outer, side: 'left' | 'right', keepGoing: (n: number) => boolean): Promise<number[]> {
  const latencies: number[] = [];
  let typed = '';
  while (keepGoing(latencies.length)) {
    if (typed.length === LETTERS.length) {
      outer.type('\x15');
      await outer.when(() => !hasPromptWith(outer.half(side), LETTERS.slice(0, 3)), 'the line cleared');
      typed = '';
    }
    const next = typed + LETTERS[typed.length];
    const sent = performance.now();
    outer.type(LETTERS[typed.length]!);
    const shown = await outer.when(() => hasPromptWith(outer.half(side), next), `echo of "${next}"`);
    latencies.push(shown - sent);
    typed = next;
    await sleep(5 + Math.random() * 15);
  }
  outer.type('\x15');
  return latencies;
}

/**
 * The flood's last line is on screen in the right half, alone on its row. Every row is looked
 * at: where the pane's bottom row falls depends on the layout (footer and notice rows below).
 */
function floodEnded(outer: Outer): boolean {
  const buffer = outer.term.buffer.active;
  const mid = Math.floor(outer.term.cols / 2);
  for (let y = outer.term.rows - 1; y >= 0; y--) {
    const text = buffer.getLine(buffer.viewportY + y)?.translateToString(true, mid) ?? '';
    // The line itself, not the command that asked for it (`seq 1 2000000` is on screen too).
    if (text.replace(/[│┃]/g, '').trim() === '2000000') return true;
  }
  return false;
}

interface RunResult {
  launch: number;
  echoIdle: number[];
  echoFlood: number[];
  flood: number;
  floodBytes: number;
  peakRss: number;
  reset?: number[];
}

async function run(subject: Subject, withReset: boolean): Promise<RunResult> {
  const started = performance.now();
  const outer = subject.launch();
  try {
    const launch = (await outer.when(() => bothPrompts(outer), 'both prompts')) - started;
    // The playground loads the lab files once it is open (for Ctrl-g l, through tsx: seconds
    // of CPU on a loaded machine); "idle" echo is timed once the program is idle.
    await cpuQuiet(subject.roots(outer));
    const echoIdle = await echoKeys(outer, 'right', (n) => n < IDLE_KEYS);
    await sleep(100);

    // Flood the right (focused) pane, then type in the left one until the flood is drained.
    const bytesBefore = outer.bytes;
    const floodStart = performance.now();
    outer.type(`${FLOOD}\r`);
    let ended = false;
    const end = outer.when(() => floodEnded(outer), 'the flood drained', 60_000).then((at) => {
      ended = true;
      return at;
    });
    await sleep(30);
    outer.type(subject.otherPane);
    await sleep(30);
    const echoFlood = await echoKeys(outer, 'left', () => !ended);
    const flood = (await end) - floodStart;
    const floodBytes = outer.bytes - bytesBefore;
    await sleep(200);
    const peakRss = treePeakRssMiB(subject.roots(outer));

    const result: RunResult = { launch, echoIdle, echoFlood, flood, floodBytes, peakRss };
    if (withReset) result.reset = await resets(outer);
    await subject.quit(outer);
    return result;
  } catch (error) {
    outer.kill();
    if (subject.name === 'tmux') execFileSync('tmux', ['-L', TMUX_SOCKET, 'kill-server'], { stdio: 'ignore' });
    throw error;
  }
}

/** Ctrl-g r in the playground: the old world down, a fresh one up, to both prompts on screen. */
async function resets(outer: Outer): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 2; i++) {
    outer.type(`echo reset-mark-${i}\r`);
    await outer.when(() => outer.screen().includes(`reset-mark-${i}\n`) || outer.screen().includes(`reset-mark-${i} `), 'the reset marker');
    const started = performance.now();
    outer.type('\x07r');
    const done = await outer.when(() => !outer.screen().includes(`reset-mark-${i}`) && bothPrompts(outer), 'prompts after the reset');
    times.push(done - started);
    await sleep(200);
  }
  return times;
}

/** Launch to both prompts of `bin` (the clone's or an installed package's), once. */
async function launchOf(bin: string): Promise<number> {
  const started = performance.now();
  const outer = new Outer({ argv: [bin, 'play'], env: NSLAB_ENV });
  const at = await outer.when(() => bothPrompts(outer), 'both prompts');
  outer.type('\x07q');
  await outer.exited;
  return at - started;
}

/**
 * CPU used by an open lab over 10 s, as a share of one core, once it has settled (the tree
 * below 5 % of a core for 300 ms: the first checks and titles done); and, separately, the CPU
 * the whole tree spent opening it (launch to settled), which is start-up work, not idling.
 */
async function idleCpu(labId: string): Promise<{ idle: number; opening: number }> {
  const outer = new Outer({ argv: ['bin/nslab.js', labId], env: NSLAB_ENV });
  try {
    await outer.when(() => bothPrompts(outer), 'the lab open', 30_000);
    await sleep(1000);
    await cpuQuiet([outer.pid]);
    const before = treeCpuSeconds([outer.pid]);
    const started = performance.now();
    await sleep(10_000);
    const used = treeCpuSeconds([outer.pid]) - before;
    return { idle: (used / ((performance.now() - started) / 1000)) * 100, opening: before };
  } finally {
    outer.type('\x07q');
    await Promise.race([outer.exited, sleep(3000)]);
    outer.kill();
  }
}

/** Opening a stage in-process, to both prompts, and its parts: the lab world (levels 1 and 2,
 *  the rootfs tar extracted into it) and the container's start. */
async function stageParts(tar: string): Promise<string> {
  const total: number[] = [];
  const world: number[] = [];
  const container: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const stage = await Stage.open(PLAYGROUND, tar, { cols: 78, rows: 40 });
    await Promise.all([stage.host.settled(5000), stage.container.settled(5000)]);
    total.push(performance.now() - started);
    world.push(stage.timings.world);
    container.push(stage.timings.container);
    await stage.close();
  }
  return `stage open in-process, to both shells quiet: median ${fmt(median(total))} ms; lab world start (levels 1+2, rootfs tar extracted) ${fmt(median(world))} ms; container start ${fmt(median(container))} ms`;
}

/** How long a step's checks take, on the starting state and after the solution (slowest step). */
async function checkTimes(tar: string): Promise<string[]> {
  const lines: string[] = [];
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
    const looks = await inspectorTimes(stage);
    await stage.close();
    lines.push(`  ${lab.id.padEnd(22)} slowest step ${Math.max(...before).toFixed(1)} ms failing, ${Math.max(...after).toFixed(1)} ms passing`);
    lines.push(`  ${''.padEnd(22)} inspector at the end: ${INSPECTOR_VIEWS.map((v, i) => `${v} ${looks[i]!.toFixed(1)} ms`).join(', ')}`);
  }
  return lines;
}

/** One look of each inspector view (what an open inspector costs per settle), median of 5. */
async function inspectorTimes(stage: Stage): Promise<number[]> {
  const inspector = new Inspector(() => ({
    labHost: stage.labHostPid,
    panes: [stage.host.pid, stage.container.pid],
    focused: stage.container.foregroundPid(),
    focusedName: 'container',
  }));
  const times: number[] = [];
  for (const _ of INSPECTOR_VIEWS) {
    inspector.cycle();
    await inspector.refresh();
    times.push(await medianRun(() => inspector.refresh()));
  }
  return times;
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

// ---------------------------------------------------------------------------------------

const fmt = (v: number, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function row(name: string, unit: string, a: readonly number[], b: readonly number[] | null, digits = 0): void {
  const ma = median(a);
  const cell = (values: readonly number[]) => `${fmt(median(values), digits).padStart(7)} ${unit.padEnd(4)} [${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)}]`;
  const tmuxCell = b ? cell(b) : '(tmux not run)';
  const ratio = b ? `${(ma / median(b)).toFixed(2)}×` : '';
  console.log(`${name.padEnd(34)} ${cell(a).padEnd(28)} ${tmuxCell.padEnd(28)} ${ratio}`);
}

function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

mkdirSync(SCRATCH, { recursive: true });
const image = await ensureHostRootfs();
const withTmux = hasTmux();
console.log(`nslab bench — ${new Date().toISOString()} — node ${process.version}, ${RUNS} interleaved runs (nslab, tmux, nslab, tmux, …), 160x45`);
console.log('timed at the outer screen: the program in a PTY, its output parsed by a headless terminal\n');

// Warm-up (bundle, rootfs cache, page cache), not counted.
await run(nslab, false);
if (withTmux) await run(tmux, false);

const results: Record<'nslab' | 'tmux', RunResult[]> = { nslab: [], tmux: [] };
for (let i = 0; i < RUNS; i++) {
  results.nslab.push(await run(nslab, true));
  if (withTmux) results.tmux.push(await run(tmux, false));
}

const pick = (name: 'nslab' | 'tmux', f: (r: RunResult) => number) => results[name].map(f);
const both = (f: (r: RunResult) => number) => [pick('nslab', f), withTmux ? pick('tmux', f) : null] as const;
const pooled = (name: 'nslab' | 'tmux', f: (r: RunResult) => number[]) => results[name].flatMap(f);
/** Per-run percentile, so the spread shows run-to-run variation. */
const perRun = (p: number, f: (r: RunResult) => number[]) => both((r) => percentile(f(r), p));

console.log(`${'figure (median [min–max] of runs)'.padEnd(34)} ${'nslab'.padEnd(28)} ${'tmux'.padEnd(28)} nslab/tmux`);
row(`\`${FLOOD}\` until its end is shown`, 'ms', ...both((r) => r.flood));
row('keystroke echo p50, idle', 'ms', ...perRun(50, (r) => r.echoIdle), 1);
row('keystroke echo p99, idle', 'ms', ...perRun(99, (r) => r.echoIdle), 1);
row('keystroke echo p50, other pane floods', 'ms', ...perRun(50, (r) => r.echoFlood), 1);
row('keystroke echo p99, other pane floods', 'ms', ...perRun(99, (r) => r.echoFlood), 1);
row('peak RSS of the process tree', 'MiB', ...both((r) => r.peakRss), 1);
row('launch to both prompts', 'ms', ...both((r) => r.launch));
row('bytes to the outer terminal, flood', 'MB', ...both((r) => r.floodBytes / 1e6), 1);
for (const name of withTmux ? (['nslab', 'tmux'] as const) : (['nslab'] as const)) {
  const idle = pooled(name, (r) => r.echoIdle);
  const flood = pooled(name, (r) => r.echoFlood);
  console.log(`  ${name} echo, all runs pooled: idle p99 ${fmt(percentile(idle, 99), 1)} ms max ${fmt(Math.max(...idle), 1)} (n=${idle.length}); flooding p99 ${fmt(percentile(flood, 99), 1)} ms max ${fmt(Math.max(...flood), 1)} (n=${flood.length})`);
}
console.log('echo floor, the same harness: programs that only echo their input (bench/echo-floor.ts)');
for (const line of await echoFloor()) console.log(line);
const resetTimes = pooled('nslab', (r) => r.reset ?? []);
console.log(`\nreset (Ctrl-g r) to both prompts on screen: median ${fmt(median(resetTimes))} ms [${fmt(Math.min(...resetTimes))}–${fmt(Math.max(...resetTimes))}] (n=${resetTimes.length})`);

// BENCH_INSTALLED=<prefix>/bin/nslab: an `npm pack` + `npm i -g` install against this clone.
const installed = process.env.BENCH_INSTALLED;
if (installed) {
  const clone: number[] = [];
  const packed: number[] = [];
  for (let i = 0; i < 3; i++) {
    clone.push(await launchOf('bin/nslab.js'));
    packed.push(await launchOf(installed));
  }
  console.log(`launch to both prompts, clone ${fmt(median(clone))} ms [${clone.map((v) => fmt(v)).join(', ')}], installed package ${fmt(median(packed))} ms [${packed.map((v) => fmt(v)).join(', ')}]`);
}

// BENCH_ONLY=screen: the figures above only (a quicker loop while working on the screen).
if (process.env.BENCH_ONLY === 'screen') process.exit(0);

console.log(await stageParts(image.tarPath));
const labs = await loadLabs();
const cpu = await idleCpu(labs[0]!.id);
console.log(`idle CPU of an open lab (${labs[0]!.id}) over 10 s, once settled: ${cpu.idle.toFixed(2)} % of one core (opening it cost ${cpu.opening.toFixed(2)} CPU-s, the whole process tree)`);
console.log('a check run, per lab:');
for (const line of await checkTimes(image.tarPath)) console.log(line);

if (process.env.BENCH_CLASSROOM !== '0') await classroom(labs[0]!.id);
process.exit(0);
