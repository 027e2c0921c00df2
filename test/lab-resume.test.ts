/**
 * Progress you can resume: a lab saved at step 3 reopens in a fresh world with the kernel state
 * of steps 1-2 rebuilt from their reference solutions; a reset returns to the starting state.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { builtInLab } from './support/lab.ts';
import { LabController } from '../src/labs/lab-session.ts';
import { ProgressStore } from '../src/labs/progress.ts';
import { runChecks } from '../src/labs/runner.ts';
import { Session } from '../src/session/session.ts';
import { eventually, hostSnapshot, leftoverProcesses, type HostSnapshot } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

const pivotRoot = await builtInLab('pivot-root');

let before: HostSnapshot;
let session: Session;
let store: ProgressStore;

beforeAll(async () => {
  before = hostSnapshot();
  store = new ProgressStore(mkdtempSync(join(tmpdir(), 'nslab-resume-')));
  store.update('pivot-root', { step: 2, done: false });
  session = new Session({ spec: pivotRoot.start, rootfsTar: await testRootfsTar(), columns: 120, rows: 40, withLabPanel: true });
});

afterAll(async () => {
  await session.close();
  expect(hostSnapshot()).toEqual(before);
  expect(leftoverProcesses()).toEqual([]);
});

it('resumes at the saved step with the earlier steps\' kernel state rebuilt', async () => {
  const lab = new LabController(pivotRoot, session, store);
  await lab.open();
  expect(lab.view.stepIndex).toBe(2);
  expect(lab.view.catchingUp).toBeNull();
  const stage = session.view.stage!;
  // Step 2 holds for real (the kernel state exists, step 1's with it), step 3 is still to do.
  // (Step 1's own check is about its moment: once pivoted, $ROOTFS is no path in the container.)
  const done = pivotRoot.steps[1]!;
  expect((await runChecks(done, stage)).every((r) => r.pass), done.id).toBe(true);
  expect(await eventually(() => lab.view.results !== null)).toBe(true);
  expect(lab.view.results!.some((r) => !r.pass)).toBe(true);
});

it('resets to the lab\'s starting state in a fresh world', async () => {
  const lab = new LabController(pivotRoot, session, store);
  const oldWorld = session.view.stage!.world;
  session.input('\x07r');
  expect(await eventually(() => session.view.status === 'ready' && session.view.stage?.world !== oldWorld, 5000)).toBe(true);
  expect(lab.view.stepIndex).toBe(0);
  expect(store.load().progress.labs['pivot-root']).toMatchObject({ step: 0, done: false });
  expect(oldWorld.alive).toBe(false);
  const first = await runChecks(pivotRoot.steps[0]!, session.view.stage!);
  expect(first.every((r) => r.pass)).toBe(false);
});
