/**
 * `node --import tsx bench/timeline.ts [bin]`: where the time to both prompts goes. Starts
 * `<bin> play` (default bin/nslab.js) BENCH_RUNS times (default 3) in a 160x45 PTY with
 * NSLAB_TRACE (src/trace.ts), and prints nslab's own marks (process start, world spawned and
 * ready, each pane spawned and its first output, first frame, Ink mounted...) beside what the
 * outer screen showed when (first byte, both prompts), in ms from the PTY's spawn; then the
 * median of each mark.
 */
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSLAB_ENV, Outer } from './outer.ts';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
function bothPrompts(outer: Outer): boolean {
  const prompt = (text: string) => /[#$]$/m.test(text.replace(/[│┃╭╮╰╯┏┓┗┛─━]/g, '').replace(/[ \t]+$/gm, ''));
  return prompt(outer.half('left')) && prompt(outer.half('right'));
}
const all: Record<string, number[]> = {};
for (let i = 0; i < RUNS; i++) {
  const trace = join(tmpdir(), `nslab-timeline-${process.pid}-${i}`);
  rmSync(trace, { force: true });
  const t0 = performance.timeOrigin + performance.now();
  const outer = new Outer({ argv: [process.argv[2] ?? 'bin/nslab.js', 'play'], env: { ...NSLAB_ENV, NSLAB_TRACE: trace } });
  const events: [number, string][] = [];
  let first = true;
  (outer as any).pty.onData(() => { if (first) { first = false; events.push([performance.timeOrigin + performance.now(), 'OUTER first byte']); } });
  void outer.when(() => /[╭┏]/.test(outer.screen()), 'border').then((at) => events.push([performance.timeOrigin + at, 'OUTER border']), () => {});
  const at = await outer.when(() => bothPrompts(outer), 'both');
  events.push([performance.timeOrigin + at, 'OUTER both prompts']);
  outer.type('\x07q');
  await outer.exited;
  for (const line of readFileSync(trace, 'utf8').trim().split('\n')) {
    const [t, ...w] = line.split(' ');
    events.push([Number(t), w.join(' ')]);
  }
  rmSync(trace, { force: true });
  events.sort((a, b) => a[0] - b[0]);
  console.log(`--- run ${i}`);
  for (const [t, w] of events) {
    console.log(`${(t - t0).toFixed(0).padStart(5)}  ${w}`);
    const key = w.replace(/ \[cpu.*/, "").replace(/ \d+$/, "");
    (all[key] ??= []).push(t - t0);
  }
}
console.log('--- medians');
const med = (l: number[]) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)]!;
for (const [k, v] of Object.entries(all).sort((a, b) => med(a[1]) - med(b[1]))) console.log(`${med(v).toFixed(0).padStart(5)}  ${k}`);
