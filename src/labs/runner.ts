/** Running a step's checks, and typing a step's reference solution into the panes. */
import { printable } from '../printable.ts';
import type { Pane } from '../term/pane.ts';
import { atPrompt } from '../term/prompt.ts';
import type { Stage } from '../world/stage.ts';
import { checkContext } from './context.ts';
import type { Check, CheckResult, Step } from './types.ts';

export interface CheckOutcome extends CheckResult {
  readonly id: string;
  readonly title: string;
}

/** Runs every check of a step against the stage's kernel state right now. */
export async function runChecks(step: Step, stage: Stage): Promise<CheckOutcome[]> {
  const ctx = checkContext(stage);
  return Promise.all(
    step.checks.map(async (check) => {
      const result = await runOne(check, ctx);
      // `found` quotes what the lab shows (names, paths, file text): never raw to a terminal.
      return { id: check.id, title: check.title, pass: result.pass, expected: printable(result.expected), found: printable(result.found) };
    }),
  );
}

async function runOne(check: Check, ctx: ReturnType<typeof checkContext>): Promise<CheckResult> {
  try {
    return await check.run(ctx);
  } catch (error) {
    // A check that cannot read what it needs has not passed; say why instead of crashing.
    return { pass: false, expected: check.title, found: `the check could not run: ${(error as Error).message}` };
  }
}

const SETTLE_TIMEOUT_MS = 5_000;

export { atPrompt } from '../term/prompt.ts';

/**
 * Types one command into a pane as a student would, then waits until the pane has answered:
 * quiet, with a prompt at the cursor (or exited, or 5 s at the most), plus `extraMs`.
 */
export async function typeCommand(pane: Pane, command: string, extraMs = 0): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let settled = pane.settled(SETTLE_TIMEOUT_MS);
  pane.write(`${command}\r`);
  await settled;
  while (!atPrompt(pane) && !pane.exit && Date.now() < deadline) {
    settled = pane.settled(deadline - Date.now());
    await settled;
  }
  if (extraMs) await new Promise((r) => setTimeout(r, extraMs));
}

/** Types a step's whole reference solution, line by line, into the named panes. */
export async function typeSolution(step: Step, stage: Stage): Promise<void> {
  for (const line of step.solution) await typeCommand(stage[line.pane], line.command, line.waitMs);
}
