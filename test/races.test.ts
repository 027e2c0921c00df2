/**
 * Keys arrive in bursts: two resets in a row, Enter twice, a reset while a lab resumes. Each
 * must leave exactly one lab world running, in the state the last key asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { builtInLab } from './support/lab.ts';
import { loadLabs } from '../src/labs/catalog.ts';
import { LabController } from '../src/labs/lab-session.ts';
import { ProgressStore } from '../src/labs/progress.ts';
import { Navigator } from '../src/navigator.ts';
import { Session } from '../src/session/session.ts';
import { eventually, guardRealMachine, runningWorlds } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

const pivotRoot = await builtInLab('pivot-root');

guardRealMachine(testRootfsTar);
const stateDir = mkdtempSync(join(tmpdir(), 'nslab-races-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

it('two quick resets leave one world, the last one', async () => {
  const session = new Session({ spec: pivotRoot.start, rootfsTar: await testRootfsTar(), columns: 120, rows: 40 });
  await session.start();
  session.input('\x07r\x07r');
  expect(await eventually(() => session.view.status === 'ready' && runningWorlds() === 1, 5000)).toBe(true);
  await new Promise((r) => setTimeout(r, 300)); // a leaked world would have appeared by now
  expect(runningWorlds()).toBe(1);
  await session.close();
  expect(await eventually(() => runningWorlds() === 0)).toBe(true);
});

it('Enter twice in the lab list opens one lab', async () => {
  const navigator = new Navigator(await loadLabs(), new ProgressStore(join(stateDir, 'nav')), await testRootfsTar(), { columns: 120, rows: 40 });
  navigator.input('\r\r');
  expect(await eventually(() => navigator.view.screen.kind === 'lab' && runningWorlds() >= 1, 5000)).toBe(true);
  await new Promise((r) => setTimeout(r, 300));
  expect(runningWorlds()).toBe(1);
  await navigator.close();
  expect(await eventually(() => runningWorlds() === 0)).toBe(true);
});

it('a reset while a lab resumes wins: step 1, in a fresh world', async () => {
  const store = new ProgressStore(join(stateDir, 'resume'));
  store.update('pivot-root', { step: 3, done: false });
  const session = new Session({ spec: pivotRoot.start, rootfsTar: await testRootfsTar(), columns: 120, rows: 40, withLabPanel: true });
  const lab = new LabController(pivotRoot, session, store);
  const opening = lab.open();
  expect(await eventually(() => lab.view.catchingUp !== null, 5000)).toBe(true);
  session.input('\x07r');
  await opening;
  expect(await eventually(() => session.view.status === 'ready' && lab.view.results !== null, 5000)).toBe(true);
  expect(lab.view.stepIndex).toBe(0);
  expect(lab.view.catchingUp).toBeNull();
  expect(lab.view.results!.every((r) => r.pass)).toBe(false);
  expect(runningWorlds()).toBe(1);
  await session.close();
});
