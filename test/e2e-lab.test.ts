/**
 * One whole lab through the real TUI, as a student would: the lab list, a hint, the solution
 * after its confirm, each step's checks turning green as the kernel's state changes, the
 * completion screen, and the progress shown in the list afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtInLab } from './support/lab.ts';
import { AppUnderTest } from './support/app.ts';
import { hostSnapshot, leftoverProcesses, type HostSnapshot } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

const pivotRoot = await builtInLab('pivot-root');

let before: HostSnapshot;
let app: AppUnderTest;

beforeAll(async () => {
  await testRootfsTar();
  before = hostSnapshot();
});
afterAll(() => {
  app?.kill();
  expect(hostSnapshot()).toEqual(before);
  expect(leftoverProcesses()).toEqual([]);
});

const stepLine = (n: number) => new RegExp(`step ${n}/${pivotRoot.steps.length}`);

it('opens the lab list, and the lab from it', async () => {
  app = new AppUnderTest([]);
  await app.waitFor((s) => s.includes('pivot-root') && s.includes('chroot-escape'), 'the lab list');
  expect(app.screen()).toMatch(/pivot_root.*pivot-root\s+new/);
  // Move the selection to pivot-root and open it.
  const index = app.screen().split('\n').filter((l) => /^\s*[ ✓…]\s+\d+\./.test(l)).findIndex((l) => l.includes('pivot-root'));
  for (let i = 0; i < index; i++) app.type('\x1b[B');
  app.type('\r');
  await app.waitFor((s) => stepLine(1).test(s) && s.includes('root@container'), 'the lab at step 1');
});

it('shows a failing check with what it expected and found, a hint, and the solution after a confirm', async () => {
  await app.waitFor((s) => s.includes('✗'), 'a red check on the starting state');
  await app.waitFor((s) => /✗ .*\n.*found: .*\n(.*\n)*.*expected: /.test(s), 'what the kernel shows and what the step expects');
  app.type('\x07h');
  await app.waitFor((s) => s.includes(`Hint 1: ${pivotRoot.steps[0]!.hints[0]!.slice(0, 40)}`), 'the first hint');
  app.type('\x07s');
  await app.waitFor((s) => s.includes('Show the solution? Ctrl-g s again'), 'the confirm');
  app.type('\x07s');
  await app.waitFor((s) => s.includes(`$ ${pivotRoot.steps[0]!.solution[0]!.command}`), 'the solution');
});

it('turns each step green as the student types it, and completes the lab', async () => {
  for (const [i, step] of pivotRoot.steps.entries()) {
    await app.waitFor((s) => stepLine(i + 1).test(s), `step ${i + 1}`);
    for (const line of step.solution) {
      expect(line.pane).toBe('container'); // the focused pane at the start
      app.type(`${line.command}\r`);
    }
    if (i + 1 < pivotRoot.steps.length) await app.waitFor((s) => stepLine(i + 2).test(s), `step ${i + 1} passed`, 15_000);
  }
  await app.waitFor((s) => s.includes('Lab complete'), 'the completion screen', 15_000);
});

it('shows the lab as done in the list, and quits leaving nothing', async () => {
  app.type('\x07l');
  await app.waitFor((s) => /pivot-root\s+done/.test(s), 'the lab marked done');
  app.type('q');
  expect(await app.exited).toBe(0);
});
