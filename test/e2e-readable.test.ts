/**
 * Every word readable, through the real TUI: every step of every lab in the catalog, with all
 * its hints and the solution open, at 100x30, 120x35 and 160x45 — every row of the screen
 * whole (no box cut, widened or overprinted), and the goal, each hint, each solution line and
 * each red check's found/expected there in full (the panel read full-screen, scrolled to its
 * end). Quick resizes in between must leave a clean frame too. Then the step's solution is
 * typed and the next step must come.
 */
import { afterAll, expect, it } from 'vitest';
import { loadLabs } from '../src/labs/catalog.ts';
import { wrapText } from '../src/layout.ts';
import type { Lab } from '../src/labs/types.ts';
import { AppUnderTest } from './support/app.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';
import { frameProblems, readPanel, settledFrame, squeeze, stable } from './support/screen.ts';

guardRealMachine(testRootfsTar);
const labs = await loadLabs();
const SIZES = [
  [100, 30],
  [120, 35],
  [160, 45],
] as const;
const apps: AppUnderTest[] = [];
afterAll(() => {
  for (const app of apps) app.kill();
});

async function resizeTo(app: AppUnderTest, cols: number, rows: number): Promise<void> {
  app.resize(cols, rows);
  await app.waitFor((s) => s.split('\n').some((r) => r.startsWith('╭') && [...r].length === cols), `the frame at ${cols}x${rows}`);
  expect(await settledFrame(app), `the frame at ${cols}x${rows}`).toEqual([]);
  await stable(app);
}

/** Types one solution line into its pane, moving the focus there first. */
async function typeLine(app: AppUnderTest, focus: { pane: string }, line: { pane: string; command: string }): Promise<void> {
  if (line.pane !== focus.pane) {
    app.type('\x07\t');
    focus.pane = line.pane;
    await app.waitFor((s) => s.includes(`▶ ${line.pane}`), `the focus on the ${line.pane} pane`);
  }
  app.type(`${line.command}\r`);
  await stable(app, 400, 15_000);
  const extra = (line as { waitMs?: number; wait?: number }).waitMs ?? (line as { wait?: number }).wait ?? 0;
  if (extra) await new Promise((r) => setTimeout(r, extra));
}

async function checkStepReadable(app: AppUnderTest, lab: Lab, index: number, cols: number): Promise<void> {
  const step = lab.steps[index]!;
  const problems = frameProblems(app);
  expect(problems, `${lab.id} step ${index + 1} at ${cols} columns`).toEqual([]);
  const header = wrapText(`${lab.title} · step ${index + 1}/${lab.steps.length}: ${step.title}`, cols - 4);
  const panel = await readPanel(app, header.length);
  const where = `${lab.id} step ${index + 1} (${step.id}) at ${cols} columns`;
  expect(panel.header, where).toEqual(header);
  const text = squeeze(panel.body.join('\n'));
  expect(text, `${where}: the goal`).toContain(squeeze(step.goal));
  for (const [i, hint] of step.hints.entries()) expect(text, `${where}: hint ${i + 1}`).toContain(squeeze(`Hint ${i + 1}: ${hint}`));
  for (const line of step.solution) expect(text, `${where}: solution line`).toContain(squeeze(`${line.pane} $ ${line.command}`));
  for (const check of step.checks) expect(text, `${where}: check ${check.id}`).toContain(squeeze(check.title));
  // Each red check says what was found and what is expected, on lines of their own.
  const reds = panel.body.filter((l) => l.startsWith('✗ ')).length;
  expect(panel.body.filter((l) => l.startsWith('    found:    ')).length, where).toBe(reds);
  expect(panel.body.filter((l) => l.startsWith('    expected: ')).length, where).toBe(reds);
  expect(panel.body.filter((l) => l.endsWith('…')), `${where}: a cut line`).toEqual([]);
  for (const line of panel.body) expect([...line].length, where).toBeLessThanOrEqual(cols - 4);
  expect(frameProblems(app), `${where}, after the full-screen panel`).toEqual([]);
}

for (const lab of labs) {
  it(`${lab.id}: every step readable at 100x30, 120x35, 160x45, with all hints and the solution`, async () => {
    const app = new AppUnderTest([lab.id], { cols: 160, rows: 45 });
    apps.push(app);
    const focus = { pane: 'container' };
    for (const [index, step] of lab.steps.entries()) {
      const stepLine = `step ${index + 1}/${lab.steps.length}`;
      await app.waitFor((s) => s.includes(stepLine) && !s.includes('Checking…') && !s.includes('Starting a fresh'), `${lab.id} ${stepLine} checked`, 30_000);
      for (let h = 0; h < step.hints.length; h++) app.type('\x07h');
      app.type('\x07s\x07s');
      await app.waitFor((s) => s.includes('Solution:') || s.includes('more below'), 'the hints and the solution open');
      if (index === 0) {
        // Several sizes in quick succession: the frame that stays must be whole.
        for (const [c, r] of [[130, 40], [100, 30], [140, 38], [104, 31], [120, 35]] as const) {
          app.resize(c, r);
          await new Promise((res) => setTimeout(res, 30));
        }
        expect(await settledFrame(app), `${lab.id} after quick resizes`).toEqual([]);
      }
      for (const [cols, rows] of SIZES) {
        await resizeTo(app, cols, rows);
        await checkStepReadable(app, lab, index, cols);
      }
      for (const line of step.solution) await typeLine(app, focus, line);
      const next = index + 1 < lab.steps.length ? `step ${index + 2}/${lab.steps.length}` : 'Lab complete';
      await app.waitFor((s) => s.includes(next), `${lab.id} past step ${index + 1}`, 30_000);
    }
    app.type('\x07q');
    expect(await app.exited).toBe(0);
  }, 600_000);
}
