/** Running a step's checks, and typing a step's reference solution into the panes. */
import { printable } from '../printable.ts';
import type { Pane } from '../term/pane.ts';
import { atPrompt } from '../term/prompt.ts';
import { notChecked } from './requirements.ts';
import type { Stage } from '../world/stage.ts';
import { LIBRARY, type KernelView, type Library, type Verdict } from './library.ts';
import type { Check, SolutionLine } from './types.ts';

/** What the panel shows for one check, and what verify compares. */
export interface CheckOutcome {
  readonly id: string;
  readonly title: string;
  readonly pass: boolean;
  /** `pass`, or the failure code the predicate gave (`error` when it threw or did not answer). */
  readonly code: string;
  /** What the step wants, in the student's words ("the container's root is the rootfs"). */
  readonly expected: string;
  /** What the kernel shows now ("/old_root is still mounted in the container"). */
  readonly found: string;
  /**
   * Not checked: the check `requires:` what this machine lacks (code `skipped`, `found` says why
   * and what would enable it). It neither passes nor fails: nothing waits for it, and nothing
   * may report it as held.
   */
  readonly skipped?: true;
}

/** Held, or not checked here: what a step, a grade or a lab session may go on with. */
export function holdsOrSkipped(o: CheckOutcome): boolean {
  return o.pass || o.skipped === true;
}

export interface RunOptions {
  readonly library?: Library;
  /** How long one check may take before it is reported stuck (default CHECK_BUDGET_MS). */
  readonly budgetMs?: number;
}

/**
 * A check reads /proc and, at most, runs one probe; it answers in milliseconds. One that has
 * not answered in this time is stuck (a probe blocked on something the lab made, a bug).
 */
export const CHECK_BUDGET_MS = 3_000;

/**
 * Evaluations still running after their budget, per stage and check. A stuck check is not
 * started again while its last evaluation is pending: a check that hangs every time would
 * otherwise pile up one evaluation per run.
 */
const stuck = new WeakMap<Stage, Map<Check, Promise<unknown>>>();

/**
 * Runs every check of a step against the stage's kernel state right now, all on one memoized
 * kernel view. Always answers within the budget: a check that throws or hangs is a failed check
 * with code `error` saying so, and the other checks' verdicts stand.
 */
export async function runChecks(step: { readonly checks: readonly Check[] }, stage: Stage, options: RunOptions = {}): Promise<CheckOutcome[]> {
  const library = options.library ?? LIBRARY;
  const budgetMs = options.budgetMs ?? CHECK_BUDGET_MS;
  let view: KernelView | undefined;
  const sources = {
    view: () => (view ??= library.kernelView(stage)),
  };
  let pending = stuck.get(stage);
  if (!pending) stuck.set(stage, (pending = new Map()));
  const running = pending;
  return Promise.all(
    step.checks.map(async (check): Promise<CheckOutcome> => {
      const base = { id: check.id, title: check.title };
      const skip = notChecked(check.requires);
      if (skip !== null) return { ...base, pass: false, skipped: true, code: 'skipped', expected: check.title, found: skip };
      if (running.has(check)) {
        return { ...base, pass: false, code: 'error', expected: check.title, found: 'the check is still stuck from an earlier run; it is not started again until that run ends' };
      }
      const evaluation = evaluate(check, sources, library);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(resolve, budgetMs, null)));
      const result = await Promise.race([evaluation, timeout]);
      clearTimeout(timer);
      if (result === null) {
        running.set(check, evaluation);
        void evaluation.finally(() => running.delete(check));
        return { ...base, pass: false, code: 'error', expected: check.title, found: `the check did not answer within ${budgetMs / 1000} s (stuck); the other checks went on` };
      }
      // `found` quotes what the lab shows (names, paths, file text): never raw to a terminal.
      return { ...base, pass: result.code === 'pass', code: result.code, expected: printable(result.expected), found: printable(result.found) };
    }),
  );
}

interface Judged {
  readonly code: string;
  readonly expected: string;
  readonly found: string;
}

async function evaluate(check: Check, sources: { view(): KernelView }, library: Library): Promise<Judged> {
  try {
    const { predicate, params } = check;
    const verdict: Verdict = await predicate.evaluate(sources.view(), params);
    const known = verdict.code === 'pass' || verdict.code === 'gone' || verdict.code === 'error' || predicate.codes.includes(verdict.code);
    if (!known) return { code: 'error', expected: check.title, found: `the predicate ${predicate.name} gave "${verdict.code}", a code it does not declare` };
    const words = predicate.explain ? predicate.explain(params, verdict) : library.explain(predicate.name, params, verdict);
    return { code: verdict.code, ...words };
  } catch (error) {
    // A check that cannot read what it needs has not passed; say why instead of crashing.
    return { code: 'error', expected: check.title, found: `the check could not run: ${(error as Error).message}` };
  }
}

const SETTLE_TIMEOUT_MS = 5_000;

export { atPrompt } from '../term/prompt.ts';

/**
 * Types one command into a pane as a student would, then waits until the pane has answered:
 * quiet, with a prompt at the cursor (or exited, or 5 s at the most), plus `extraMs`.
 */
export async function typeCommand(pane: Pane, command: string, extraMs = 0, charDelayMs = 0): Promise<void> {
  if (charDelayMs > 0) {
    // At human speed (presenter mode): one key at a time, so the room reads it as it is typed.
    for (const char of command) {
      pane.write(char);
      await new Promise((r) => setTimeout(r, charDelayMs));
    }
    command = '';
  }
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

/** Types lines (a reference solution, a wrong attempt) one by one into the panes they name. */
export async function typeLines(lines: readonly SolutionLine[], stage: Stage): Promise<void> {
  for (const line of lines) await typeCommand(stage[line.pane], line.command, line.waitMs);
}

/** Types a step's whole reference solution. */
export function typeSolution(step: { readonly solution: readonly SolutionLine[] }, stage: Stage): Promise<void> {
  return typeLines(step.solution, stage);
}
