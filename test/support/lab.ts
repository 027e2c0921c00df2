/** Driving a lab for real in tests: a fresh stage in the lab's starting state. */
import type { Lab, Step } from '../../src/labs/types.ts';
import { runChecks, typeCommand, typeSolution, type CheckOutcome } from '../../src/labs/runner.ts';
import { Stage, screenText } from '../../src/world/stage.ts';
import { testRootfsTar } from './rootfs.ts';

export { typeCommand, typeSolution, runChecks, screenText };

export async function openLab(lab: Lab): Promise<Stage> {
  const stage = await Stage.open(lab.start, await testRootfsTar(), { cols: 120, rows: 40 });
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
  return stage;
}

export function step(lab: Lab, id: string): Step {
  const found = lab.steps.find((s) => s.id === id);
  if (!found) throw new Error(`lab ${lab.id} has no step ${id}`);
  return found;
}

/** The outcome of one check, by id, so tests can assert per check. */
export async function outcomes(lab: Lab, stepId: string, stage: Stage): Promise<Record<string, CheckOutcome>> {
  return Object.fromEntries((await runChecks(step(lab, stepId), stage)).map((o) => [o.id, o]));
}

/** Types the reference solutions of all steps before `stepId` (to reach its starting point). */
export async function solveUpTo(lab: Lab, stepId: string, stage: Stage): Promise<void> {
  for (const s of lab.steps) {
    if (s.id === stepId) return;
    await typeSolution(s, stage);
  }
}
