/**
 * Nothing passes by itself, through the real TUI, on a loaded machine (a CPU hog on every
 * core beside it): every lab of the catalog, opened from the lab list, by id, after Ctrl-g r,
 * and resumed at a saved step, shows that step with every check red — and still red a while
 * later — while nothing is typed; quitting at once leaves the progress file as it was.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadLabs } from '../src/labs/catalog.ts';
import type { Lab } from '../src/labs/types.ts';
import { AppUnderTest } from './support/app.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';
import { readPanel, squeeze } from './support/screen.ts';
import { wrapText } from '../src/layout.ts';

guardRealMachine(testRootfsTar);
const labs = await loadLabs();
const COLS = 160;
const apps: AppUnderTest[] = [];
let hogs: ChildProcess[] = [];

beforeAll(() => {
  // Busy loops, one per core, at normal priority: bounded (killed below), no forks.
  hogs = Array.from({ length: availableParallelism() }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
});
afterAll(() => {
  for (const hog of hogs) hog.kill('SIGKILL');
  for (const app of apps) app.kill();
});

function progressFile(stateDir: string): string {
  return join(stateDir, 'nslab', 'progress.json');
}
const contents = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : null);

/** The step is up, checked, and every one of its checks is red; a second look later agrees. */
async function expectAllRed(app: AppUnderTest, lab: Lab, index: number, how: string): Promise<void> {
  const step = lab.steps[index]!;
  const where = `${lab.id} ${how}, step ${index + 1}`;
  await app.waitFor(
    (s) => s.includes(`step ${index + 1}/${lab.steps.length}`) && s.includes('┃') && !/Checking…|Starting a fresh|Resuming at step/.test(s),
    `${where}: checked`,
    60_000,
  );
  for (const look of ['at once', 'a moment later']) {
    if (look !== 'at once') await new Promise((r) => setTimeout(r, 1500));
    const header = wrapText(`${lab.title} · step ${index + 1}/${lab.steps.length}: ${step.title}`, COLS - 4);
    const { body } = await readPanel(app, header.length);
    const text = squeeze(body.join('\n'));
    for (const check of step.checks) expect(text, `${where} ${look}: ${check.id} red`).toContain(squeeze(`✗ ${check.title}`));
    expect(body.filter((l) => l.startsWith('! ')), `${where} ${look}: a lab defect`).toEqual([]);
    expect(body.filter((l) => l.startsWith('✓ ') && !/^✓ Steps? 1/.test(l)), `${where} ${look}: a green check`).toEqual([]);
    // Still this step (the panes and panel back after the full-screen read, nothing passed).
    await app.waitFor((s) => s.includes(`step ${index + 1}/${lab.steps.length}`) && s.includes('┃'), `${where} ${look}: still at this step`);
  }
}

async function quit(app: AppUnderTest): Promise<void> {
  app.type('\x07q');
  expect(await app.exited).toBe(0);
}

for (const lab of labs) {
  it(`${lab.id}: red until something is typed, opened four ways, under load; the progress file unchanged`, async () => {
    const stateRoot = mkdtempSync(join(tmpdir(), `nslab-e2e-red-${lab.id}-`));

    // 1. From the lab list.
    {
      const stateDir = join(stateRoot, 'list');
      const app = new AppUnderTest([], { cols: COLS, rows: 45, stateDir });
      apps.push(app);
      await app.waitFor((s) => s.includes(lab.id), 'the lab list', 60_000);
      const rows = app.screen().split('\n').filter((l) => /^\s*[ ✓…]\s+\d+\./.test(l));
      const index = rows.findIndex((l) => l.includes(` ${lab.id} `));
      expect(index).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < index; i++) app.type('\x1b[B');
      app.type('\r');
      await expectAllRed(app, lab, 0, 'from the list');
      await quit(app);
      expect(contents(progressFile(stateDir))).toBeNull();
    }

    // 2. By id, then 3. after Ctrl-g r.
    {
      const stateDir = join(stateRoot, 'id');
      const app = new AppUnderTest([lab.id], { cols: COLS, rows: 45, stateDir });
      apps.push(app);
      await expectAllRed(app, lab, 0, 'by id');
      const before = app.screen();
      app.type('\x07r');
      await app.waitFor((s) => s !== before && s.includes('A fresh lab world'), 'the reset', 30_000);
      await expectAllRed(app, lab, 0, 'after a reset');
      await quit(app);
      expect(contents(progressFile(stateDir))).toBeNull();
    }

    // 4. Resumed at a saved step: that step, all red; quitting at once keeps the saved step.
    if (lab.steps.length >= 2) {
      const stateDir = join(stateRoot, 'resume');
      mkdirSync(join(stateDir, 'nslab'), { recursive: true });
      const saved = `${JSON.stringify({ version: 1, labs: { [lab.id]: { step: 1, done: false, updatedAt: '2026-01-01T00:00:00.000Z' } } }, null, 2)}\n`;
      writeFileSync(progressFile(stateDir), saved);
      const app = new AppUnderTest([lab.id], { cols: COLS, rows: 45, stateDir });
      apps.push(app);
      await expectAllRed(app, lab, 1, 'resumed');
      await quit(app);
      expect(contents(progressFile(stateDir))).toBe(saved);
    }
  }, 600_000);
}
