/**
 * Green must mean the student did it, tested on real lab worlds through the LabController:
 * - the stage is handed over only in the starting state, so step 1's checks are all red on
 *   the first run (chroot-escape passed step 1 by itself when checks read nsenter);
 * - a check green on that first run is shown as a lab defect and never passes the step;
 * - resuming at a saved step and stopping during the replay leaves the saved step;
 * - a failed progress save is an alert that stays until a save succeeds.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadLabs } from '../src/labs/catalog.ts';
import { LabController } from '../src/labs/lab-session.ts';
import { ProgressStore } from '../src/labs/progress.ts';
import { PREDICATES } from '../src/check/index.ts';
import type { LabPredicate } from '../src/labs/library.ts';
import type { Lab } from '../src/labs/types.ts';
import { Session } from '../src/session/session.ts';
import { eventually, guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);
const stateDir = mkdtempSync(join(tmpdir(), 'nslab-guard-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

async function play(lab: Lab, store: ProgressStore): Promise<{ session: Session; controller: LabController }> {
  const session = new Session({ spec: lab.start, rootfsTar: await testRootfsTar(), columns: 120, rows: 35, withLabPanel: true });
  const controller = new LabController(lab, session, store);
  return { session, controller };
}

it('every lab: the first check run of a fresh world finds every check of step 1 red', async () => {
  for (const lab of await loadLabs()) {
    const { session, controller } = await play(lab, new ProgressStore(join(stateDir, `fresh-${lab.id}`)));
    await controller.open();
    // The stage is handed over in the starting state: the container's shell in the foreground.
    const stage = session.view.stage!;
    expect(stage.container.foregroundPid(), lab.id).toBe(stage.containerRealPid);
    expect(await eventually(() => controller.view.results !== null, 10_000), lab.id).toBe(true);
    expect(controller.view.results!.filter((r) => r.pass).map((r) => r.id), lab.id).toEqual([]);
    expect(controller.view.defects, lab.id).toEqual([]);
    expect(controller.view.stepIndex, lab.id).toBe(0);
    await session.close();
  }
});

it('a check green before anything was typed is a lab defect: shown, never counted', async () => {
  const [lab] = await loadLabs();
  const first = lab!.steps[0]!;
  // A defective lab: step 1's only check holds in the starting state (the host pane's root
  // is the lab host's /, from the start).
  const rootIs = PREDICATES.get('root.is')! as LabPredicate;
  const always = { id: 'always', title: "the host pane's root is the lab host's /", predicate: rootIs, params: rootIs.params.parse({ subject: 'host', path: '/' }) };
  const defective: Lab = { ...lab!, steps: [{ ...first, checks: [always] }, ...lab!.steps.slice(1)] };
  const store = new ProgressStore(join(stateDir, 'defect'));
  const { session, controller } = await play(defective, store);
  await controller.open();
  expect(await eventually(() => controller.view.results !== null, 10_000)).toBe(true);
  expect(controller.view.defects).toEqual(['always']);
  // More check runs (output in a pane) do not make it count.
  session.view.stage!.host.write('true\r');
  await new Promise((r) => setTimeout(r, 1500));
  expect(controller.view.stepIndex).toBe(0);
  expect(controller.view.complete).toBe(false);
  expect(store.load().progress.labs[defective.id]).toBeUndefined();
  await session.close();
});

it('resuming at step 3 and quitting during the replay keeps step 3', async () => {
  const lab = (await loadLabs()).find((l) => l.steps.length >= 3)!;
  const store = new ProgressStore(join(stateDir, 'resume'));
  store.update(lab.id, { step: 2, done: false });
  const before = readFileSync(store.file, 'utf8');
  const { session, controller } = await play(lab, store);
  const opening = controller.open();
  expect(await eventually(() => session.view.status === 'ready', 10_000)).toBe(true);
  expect(controller.view.catchingUp).not.toBeNull();
  await session.close(); // quit while the earlier steps are replayed
  await opening;
  expect(readFileSync(store.file, 'utf8')).toBe(before);
});

it('a failed progress save is an alert that stays until a save succeeds', async () => {
  const [lab] = await loadLabs();
  const dir = join(stateDir, 'unwritable');
  const store = new ProgressStore(dir);
  store.update(lab!.id, { step: 1, done: false }); // so that a reset has something to save
  const { session, controller } = await play(lab!, store);
  await controller.open();
  expect(controller.view.stepIndex).toBe(1);
  // A directory in place of the progress file: every save (rename over it) fails now, for
  // root too (directory permissions would not stop root).
  rmSync(store.file);
  mkdirSync(store.file);
  const oldStage = session.view.stage;
  session.input('\x07r'); // a reset records step 1
  expect(await eventually(() => session.view.alert !== null, 10_000)).toBe(true);
  expect(await eventually(() => session.view.status === 'ready' && session.view.stage !== oldStage, 10_000)).toBe(true);
  expect(session.view.alert).toMatch(/progress was NOT saved/);
  session.setNotice('something else happened');
  expect(session.view.alert).toMatch(/progress was NOT saved/);
  expect(session.view.layout.footer.alert.join(' ')).toMatch(/progress was NOT saved/);
  rmSync(store.file, { recursive: true });
  expect(controller.view.stepIndex).toBe(0);
  await session.close();
});
