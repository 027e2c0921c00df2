/**
 * Presenter mode through the real TUI, at a projector's 100x30 with NO_COLOR: the whole lab is
 * typed from Ctrl-g n alone, one visible key at a time, each step's checks turning green from
 * the kernel's state; Ctrl-g N opens a fresh world at step N with the earlier steps replayed;
 * nothing is saved to the student's progress or event log.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadLabs } from '../src/labs/catalog.ts';
import type { Lab } from '../src/labs/types.ts';
import { AppUnderTest } from './support/app.ts';
import { eventually, guardRealMachine, leftoverProcesses } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);
let app: AppUnderTest;
let lab: Lab;
const previousNoColor = process.env.NO_COLOR;

beforeAll(async () => {
  lab = (await loadLabs()).find((l) => l.id === 'pivot-root')!;
  process.env.NO_COLOR = '1'; // AppUnderTest passes the environment on
  app = new AppUnderTest(['present', 'pivot-root'], { cols: 100, rows: 30 });
  if (previousNoColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = previousNoColor;
});
afterAll(async () => {
  app.kill();
  await eventually(() => leftoverProcesses().length === 0);
});

const heading = (n: number) => `Step ${n}/${lab.steps.length}: ${lab.steps[n - 1]!.title}`;
const ready = (s: string) => /Ctrl-g n types \((host|container)\): /.test(s);

it('opens at 100x30 with the goal on top, the panes, then the checks and the next line', async () => {
  await app.waitFor((s) => s.split('\n')[0]!.startsWith(heading(1)) && ready(s) && s.includes('root@container'), 'step 1 on top', 40_000);
  const rows = app.screen().split('\n');
  expect(rows.findIndex((r) => r.includes('root@container'))).toBeGreaterThan(2);
  expect(rows.findIndex((r) => r.includes('Ctrl-g n types'))).toBeGreaterThan(rows.findIndex((r) => r.includes('root@container')));
  expect(app.screen()).toContain('✗ '); // red before anything is typed
});

it('respects NO_COLOR: the goal, checks and footer are drawn in the default colours', async () => {
  await app.waitFor((s) => s.split('\n')[0]!.startsWith(heading(1)) && ready(s), 'step 1 on top', 40_000);
  const buffer = app.term.buffer.active;
  // Not a blank screen passing by default: those rows hold the goal, the checks, the keys.
  expect(buffer.getLine(buffer.viewportY)!.translateToString(true)).toContain('Step 1/');
  // Under the panes, in this order: the checks, the next line, the footer (the notice rows the
  // one layout reserves may follow). Found by content, not by a fixed offset from the bottom.
  const text = (y: number) => buffer.getLine(buffer.viewportY + y)!.translateToString(true);
  const rowsOf = Array.from({ length: app.term.rows }, (_, y) => text(y));
  const checksRow = rowsOf.findIndex((r) => /^✗ /.test(r));
  const nextRow = rowsOf.findIndex((r) => r.includes('Ctrl-g n types'));
  const footerRow = rowsOf.findIndex((r) => r.includes('n next line'));
  expect(checksRow).toBeGreaterThan(rowsOf.findIndex((r) => r.includes('root@container')));
  expect(nextRow).toBeGreaterThan(checksRow);
  expect(footerRow).toBeGreaterThan(nextRow);
  for (const y of [0, checksRow, nextRow, footerRow]) {
    const line = buffer.getLine(buffer.viewportY + y)!;
    for (let x = 0; x < 60; x++) {
      const cell = line.getCell(x)!;
      expect(cell.isFgDefault() && cell.isBgDefault(), `row ${y} col ${x}`).toBe(true);
    }
  }
});

it('types the whole lab from Ctrl-g n alone, visibly, until it is complete', async () => {
  const lines = lab.steps.flatMap((s) => s.solution);
  let presses = 0;
  for (const [i, line] of lines.entries()) {
    await app.waitFor((s) => (ready(s) && s.includes(`: ${line.command}`)) || s.includes('complete'), `line ${i + 1} offered`, 30_000);
    app.type('\x07n');
    presses++;
    // Human speed: the room sees the command grow key by key, not appear in one write.
    if (i === 0) {
      const seen = new Set<string>();
      await app.waitFor((s) => {
        const typed = /# (\S.*?)\s*┃/.exec(s.split('\n').find((l) => l.includes('root@container:~# ')) ?? '')?.[1] ?? '';
        if (typed && line.command.startsWith(typed)) seen.add(typed);
        return typed === line.command;
      }, 'the first line typed');
      expect(seen.size).toBeGreaterThanOrEqual(3);
    }
  }
  await app.waitFor((s) => s.includes(`✓ ${lab.title}: complete`), 'the lab complete', 30_000);
  expect(presses).toBe(lines.length);
});

it('Ctrl-g 3 opens a fresh world at step 3, steps 1 and 2 replayed', async () => {
  app.type('\x073');
  await app.waitFor((s) => s.split('\n')[0]!.startsWith(heading(3)) && ready(s), 'step 3 on top', 40_000);
  expect(app.screen()).toContain(`: ${lab.steps[2]!.solution[0]!.command}`);
  app.type('\x07q');
  expect(await app.exited).toBe(0);
  // A presentation is not coursework: nothing reached the progress file or the event log.
  expect(existsSync(join(app.stateDir, 'nslab', 'progress.json'))).toBe(false);
  expect(existsSync(join(app.stateDir, 'nslab', 'events.jsonl'))).toBe(false);
});
