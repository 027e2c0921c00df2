/**
 * `node --import tsx bench/launch.ts [bin ...]`: launch to both prompts on the outer screen
 * (bench/outer.ts), alone, for working on start-up without the whole bench. Each bin (default
 * bin/nslab.js) is started `play` BENCH_RUNS times (default 7), interleaved with tmux
 * (`tmux -f /dev/null new-session \; split-window -h`) where it is installed; prints medians,
 * the range and the load average beside them.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { NSLAB_ENV, Outer, median } from './outer.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const bins = process.argv.slice(2).length ? process.argv.slice(2) : ['bin/nslab.js'];
const TMUX_SOCKET = 'launch-bench';

function bothPrompts(outer: Outer): boolean {
  const prompt = (text: string) => /[#$]$/m.test(text.replace(/[│┃╭╮╰╯┏┓┗┛─━]/g, '').replace(/[ \t]+$/gm, ''));
  return prompt(outer.half('left')) && prompt(outer.half('right'));
}

async function nslab(bin: string): Promise<number> {
  const started = performance.now();
  const outer = new Outer({ argv: [bin, 'play'], env: NSLAB_ENV });
  try {
    const at = await outer.when(() => bothPrompts(outer), 'both prompts');
    outer.type('\x07q');
    await outer.exited;
    return at - started;
  } catch (error) {
    outer.kill();
    throw error;
  }
}

async function tmux(): Promise<number> {
  const started = performance.now();
  const outer = new Outer({ argv: ['tmux', '-f', '/dev/null', '-L', TMUX_SOCKET, 'new-session', ';', 'split-window', '-h'], env: { TMUX: '', SHELL: '/bin/bash' } });
  try {
    return (await outer.when(() => bothPrompts(outer), 'both prompts')) - started;
  } finally {
    execFileSync('tmux', ['-L', TMUX_SOCKET, 'kill-server'], { stdio: 'ignore' });
    await outer.exited;
  }
}

let hasTmux = true;
try {
  execFileSync('tmux', ['-V'], { stdio: 'ignore' });
} catch {
  hasTmux = false;
}
const times = new Map<string, number[]>();
const add = (name: string, ms: number) => times.set(name, [...(times.get(name) ?? []), ms]);
for (let i = 0; i < RUNS; i++) {
  for (const bin of bins) add(bin, await nslab(bin));
  if (hasTmux) add('tmux', await tmux());
}
const load = loadavg().map((l) => l.toFixed(2)).join(' ');
for (const [name, list] of times) {
  const sorted = [...list].sort((a, b) => a - b);
  console.log(`${name.padEnd(32)} median ${median(list).toFixed(0)} ms [${sorted.map((v) => v.toFixed(0)).join(', ')}]`);
}
console.log(`load average ${load}`);
