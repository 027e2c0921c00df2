/** Driving a lab for real in tests: a fresh stage in the lab's starting state. */
import { expect } from 'vitest';
import { loadLabs } from '../../src/labs/catalog.ts';
import { runChecks, typeCommand, typeSolution, type CheckOutcome } from '../../src/labs/runner.ts';
import type { Check, Lab, SolutionLine } from '../../src/labs/types.ts';
import { formatReport, verifyLabs, type LabReport } from '../../src/labs/verify.ts';
import { Stage, screenText, type StageSpec } from '../../src/world/stage.ts';
import { testRootfsTar } from './rootfs.ts';

export { typeCommand, typeSolution, runChecks, screenText };

/** What these helpers need of a lab: a lab.md one, or (until the ports land) a labs/NN-<id>.ts module. */
interface LabLike<S extends StepLike = StepLike> {
  readonly id: string;
  readonly start: StageSpec;
  readonly steps: readonly S[];
}
interface StepLike {
  readonly id: string;
  readonly solution: readonly SolutionLine[];
  readonly checks: readonly Check[];
}

export async function openLab(lab: { readonly start: StageSpec }): Promise<Stage> {
  const stage = await Stage.open(lab.start, await testRootfsTar(), { cols: 120, rows: 40 });
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
  return stage;
}

export function step<S extends StepLike>(lab: LabLike<S>, id: string): S {
  const found = lab.steps.find((s) => s.id === id);
  if (!found) throw new Error(`lab ${lab.id} has no step ${id}`);
  return found;
}

/** The outcome of one check, by id, so tests can assert per check. */
export async function outcomes(lab: LabLike, stepId: string, stage: Stage): Promise<Record<string, CheckOutcome>> {
  return Object.fromEntries((await runChecks(step(lab, stepId), stage)).map((o) => [o.id, o]));
}

/** Types the reference solutions of all steps before `stepId` (to reach its starting point). */
export async function solveUpTo(lab: LabLike, stepId: string, stage: Stage): Promise<void> {
  for (const s of lab.steps) {
    if (s.id === stepId) return;
    await typeSolution(s, stage);
  }
}

/** A built-in lab as nslab loads it. */
export async function builtInLab(id: string): Promise<Lab> {
  const lab = (await loadLabs({ languages: [] })).find((l) => l.id === id);
  if (!lab) throw new Error(`no built-in lab ${id}`);
  return lab;
}

/** Runs `nslab verify` on one lab and fails the test on any defect, showing the report. */
export async function expectVerified(lab: Lab): Promise<LabReport> {
  const [report] = await verifyLabs([lab], await testRootfsTar());
  expect(report!.ok, formatReport(report!)).toBe(true);
  return report!;
}
