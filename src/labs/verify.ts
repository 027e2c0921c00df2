/**
 * `nslab verify`: proves a lab's checks honest, headless, in a fresh lab world. For each step
 * the checks must fail first, then the reference solution is typed into the panes, and then
 * they must pass.
 */
import { Stage, screenText } from '../world/stage.ts';
import { runChecks, typeSolution, type CheckOutcome } from './runner.ts';
import type { Lab } from './types.ts';

export interface CheckVerdict {
  readonly step: string;
  readonly check: string;
  readonly title: string;
  readonly before: CheckOutcome;
  readonly after: CheckOutcome;
  /** Failed before the solution and passed after it. */
  readonly ok: boolean;
}

export interface LabVerdict {
  readonly lab: string;
  readonly ok: boolean;
  readonly checks: CheckVerdict[];
  readonly ms: number;
  /** Pane screens when something went wrong, to see what the solution did. */
  readonly screens?: { host: string; container: string };
  readonly error?: string;
}

const VERIFY_SIZE = { cols: 120, rows: 40 };

export async function verifyLab(lab: Lab, rootfsTar: string): Promise<LabVerdict> {
  const started = performance.now();
  const checks: CheckVerdict[] = [];
  let stage: Stage | undefined;
  try {
    stage = await Stage.open(lab.start, rootfsTar, VERIFY_SIZE);
    await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
    for (const step of lab.steps) {
      const before = await runChecks(step, stage);
      await typeSolution(step, stage);
      const after = await runChecks(step, stage);
      for (const [i, b] of before.entries()) {
        const a = after[i]!;
        checks.push({ step: step.id, check: b.id, title: b.title, before: b, after: a, ok: !b.pass && a.pass });
      }
    }
    const ok = checks.every((c) => c.ok);
    return { lab: lab.id, ok, checks, ms: Math.round(performance.now() - started), ...(ok ? {} : { screens: screens(stage) }) };
  } catch (error) {
    return { lab: lab.id, ok: false, checks, ms: Math.round(performance.now() - started), error: (error as Error).message, ...(stage ? { screens: screens(stage) } : {}) };
  } finally {
    await stage?.close();
  }
}

function screens(stage: Stage) {
  return { host: screenText(stage.host), container: screenText(stage.container) };
}

export function formatVerdict(verdict: LabVerdict): string {
  const lines = [`${verdict.ok ? 'ok  ' : 'FAIL'} ${verdict.lab} (${verdict.ms} ms)`];
  for (const c of verdict.checks) {
    const mark = c.ok ? 'ok  ' : 'FAIL';
    lines.push(`  ${mark} ${c.step} / ${c.check}: before ${c.before.pass ? 'PASSED (should fail)' : 'failed'}, after ${c.after.pass ? 'passed' : 'FAILED'}`);
    if (!c.ok) {
      if (c.before.pass) lines.push(`         before: ${c.before.found}`);
      if (!c.after.pass) lines.push(`         after: expected ${c.after.expected}; found ${c.after.found}`);
    }
  }
  if (verdict.error) lines.push(`  error: ${verdict.error}`);
  return lines.join('\n');
}
