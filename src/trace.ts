/**
 * Start-up timeline marks, for finding where the time to the first prompts goes
 * (bench/timeline.ts). With NSLAB_TRACE=<file>, each mark appends "<epoch ms> <what> [cpu
 * <ms>]" to that file (the CPU time of this process so far, all its threads); without it a
 * mark costs one variable test.
 */
import { appendFileSync } from 'node:fs';
import type { Pane } from './term/pane.ts';

const file = process.env.NSLAB_TRACE;

export function mark(what: string): void {
  if (!file) return;
  const cpu = process.cpuUsage();
  appendFileSync(file, `${(performance.timeOrigin + performance.now()).toFixed(1)} ${what} [cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)}]\n`);
}

/** Marks the first change of a pane's screen (its program's first output). */
export function markFirstOutput(pane: Pane, name: string): void {
  if (!file) return;
  const off = pane.onChange(() => {
    off();
    mark(`${name}-first-output`);
  });
}

// When this process began (performance.timeOrigin), the zero of its own timeline.
if (file) appendFileSync(file, `${performance.timeOrigin.toFixed(1)} process-origin\n`);
