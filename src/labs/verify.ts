/**
 * `nslab verify`: proves a lab honest, headless, in fresh lab worlds (docs/lab-format.md, "What
 * `nslab verify` proves"). Per step:
 *  1. start: a fresh world with the earlier steps' reference solutions typed; every check red
 *     (a green one is a defect: it "passed before anything was typed");
 *  2. wrong: each declared wrong attempt in a fresh world of its own, the earlier steps
 *     replayed, the attempt typed; each named check gives the declared verdict code;
 *  3. solution: the step's reference solution typed on the state of (1); every check green.
 *
 * (1) and (3) of all steps run in one world, in order: step k+1's start is step k's world after
 * its solution, the same commands typed in the same order as in a fresh world. Each wrong
 * attempt needs a world of its own; those run beside it, `jobs` worlds at a time.
 */
import { availableParallelism, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.ts';
import { Stage, screenText } from '../world/stage.ts';
import { runChecks, typeLines, typeSolution, type CheckOutcome, type RunOptions } from './runner.ts';
import { FORMAT } from './schema.ts';
import { unavailableBecause } from './requirements.ts';
import type { Lab, Step, WrongAttempt } from './types.ts';

export interface CheckReport {
  readonly id: string;
  /** The verdict code the check gave. */
  readonly code: string;
  /** What the phase wants: `pass`, `fail` (any code but pass), a code, or `any` (not declared). */
  readonly want: string;
  readonly ok: boolean;
  /** What the kernel showed, when not ok (text for people: it may name pids). */
  readonly found?: string;
}

export interface PhaseReport {
  readonly phase: 'start' | 'wrong' | 'solution';
  /** The wrong attempt's name. */
  readonly name?: string;
  readonly ok: boolean;
  readonly checks: readonly CheckReport[];
  readonly error?: string;
  /**
   * Not proven here: every check the phase names `requires:` what this machine lacks (the
   * reason). Such a phase is ok only in the sense that nothing contradicts it; the reports say
   * "skip", never "ok".
   */
  readonly skipped?: string;
  /** The panes when the phase failed, to see what was typed and answered (not in --json). */
  readonly screens?: { readonly host: string; readonly container: string };
}

export interface StepReport {
  readonly id: string;
  readonly ok: boolean;
  readonly phases: readonly PhaseReport[];
}

export interface LabReport {
  readonly id: string;
  readonly file: string;
  readonly ok: boolean;
  readonly steps: readonly StepReport[];
  readonly ms: number;
  /** Not run: the machine lacks what the lab `requires:` (the reason and what would enable it). */
  readonly unavailable?: string;
}

export interface VerifyOptions extends RunOptions {
  /** Lab worlds open at once (default: defaultJobs()). */
  readonly jobs?: number;
  /** Called as each lab's report is complete, in the order of `labs`. */
  readonly onLab?: (report: LabReport) => void;
}

const VERIFY_SIZE = { cols: 120, rows: 40 };

/**
 * A verify world is idle most of its life (waiting for a prompt): measured on 2 cores, the five
 * labs' 49 worlds took 83 s with 2 at a time, 32 s with 4 and 27 s with 6, using about a quarter
 * of one core throughout. Two per CPU keeps both cores far from saturated.
 */
export function defaultJobs(): number {
  return Math.min(8, Math.max(1, 2 * availableParallelism()));
}

export async function verifyLabs(labs: readonly Lab[], rootfsTar: string, options: VerifyOptions = {}): Promise<LabReport[]> {
  const started: number[] = [];
  const phases = labs.map((lab) => lab.steps.map((step): StepPhases => ({ wrong: step.wrong.map(() => undefined) })));
  // The chains are the longest tasks: queued first, so the wrong attempts fill in around them.
  // A lab this machine cannot run is reported as skipped with its reason, never run (its checks
  // could only crash or pass vacuously).
  const unavailable = labs.map((lab) => unavailableBecause(lab.requires));
  const tasks: { lab: number; run: () => Promise<void> }[] = labs.flatMap((lab, l) => unavailable[l] ? [] : [{
    lab: l,
    run: async () => void (await runChain(lab, rootfsTar, options)).forEach((p, s) => Object.assign(phases[l]![s]!, p)),
  }]);
  for (const [l, lab] of labs.entries()) {
    if (unavailable[l]) continue;
    for (const [s, step] of lab.steps.entries()) {
      for (const [w, attempt] of step.wrong.entries()) {
        tasks.push({ lab: l, run: async () => void (phases[l]![s]!.wrong[w] = await runAttempt(lab, s, attempt, rootfsTar, options)) });
      }
    }
  }
  // A lab's report is ready when its last task is done; reports go out in the order of `labs`.
  const left = labs.map((_, l) => tasks.filter((t) => t.lab === l).length);
  const reports: (LabReport | undefined)[] = labs.map((lab, l) =>
    unavailable[l] ? { id: lab.id, file: lab.origin.file, ok: true, steps: [], ms: 0, unavailable: unavailable[l]! } : undefined,
  );
  let next = 0;
  const emit = () => {
    // Not `onLab?.(reports[next++])`: an optional call skips its arguments, and next with it.
    for (; next < labs.length && reports[next]; next++) options.onLab?.(reports[next]!);
  };
  emit();
  await pool(
    tasks.map((task) => async () => {
      started[task.lab] ??= performance.now();
      await task.run();
      if (--left[task.lab]! > 0) return;
      reports[task.lab] = assemble(labs[task.lab]!, phases[task.lab]!, started[task.lab]!);
      emit();
    }),
    options.jobs ?? defaultJobs(),
  );
  emit();
  return reports as LabReport[];
}

interface StepPhases {
  start?: PhaseReport;
  solution?: PhaseReport;
  wrong: (PhaseReport | undefined)[];
}

async function pool(tasks: readonly (() => Promise<void>)[], jobs: number): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < tasks.length) await tasks[i++]!();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

async function openStage(lab: Lab, rootfsTar: string): Promise<Stage> {
  const stage = await Stage.open(lab.start, rootfsTar, VERIFY_SIZE);
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
  return stage;
}

/** Every step in order in one world: its start (all red), then its solution (all green). */
async function runChain(lab: Lab, rootfsTar: string, options: RunOptions): Promise<{ start: PhaseReport; solution: PhaseReport }[]> {
  const out: { start: PhaseReport; solution: PhaseReport }[] = [];
  let stage: Stage | undefined;
  const failAll = (error: string) => {
    while (out.length < lab.steps.length) out.push({ start: errorPhase('start', error, stage), solution: errorPhase('solution', error, stage) });
  };
  try {
    stage = await openStage(lab, rootfsTar);
    for (const step of lab.steps) {
      const start = judge('start', await runChecks(step, stage, options), () => 'fail', stage);
      await typeSolution(step, stage);
      const solution = judge('solution', await runChecks(step, stage, options), () => 'pass', stage);
      out.push({ start, solution });
    }
  } catch (error) {
    failAll((error as Error).message);
  } finally {
    await stage?.close();
  }
  return out;
}

/** One wrong attempt of step `index`, in a fresh world with the earlier steps solved. */
async function runAttempt(lab: Lab, index: number, attempt: WrongAttempt, rootfsTar: string, options: RunOptions): Promise<PhaseReport> {
  let stage: Stage | undefined;
  try {
    stage = await openStage(lab, rootfsTar);
    for (const earlier of lab.steps.slice(0, index)) await typeSolution(earlier, stage);
    await typeLines(attempt.run, stage);
    const outcomes = await runChecks(lab.steps[index]!, stage, options);
    return { ...judge('wrong', outcomes, (id) => attempt.expect[id] ?? 'any', stage), name: attempt.name };
  } catch (error) {
    return { ...errorPhase('wrong', (error as Error).message, stage), name: attempt.name };
  } finally {
    await stage?.close();
  }
}

function judge(phase: PhaseReport['phase'], outcomes: readonly CheckOutcome[], want: (id: string) => string, stage: Stage): PhaseReport {
  const checks = outcomes.map((o): CheckReport => {
    const w = want(o.id);
    // A check not run here (its requirement unmet) cannot contradict the phase; its code says `skipped`.
    const ok = w === 'any' || o.skipped === true || (w === 'fail' ? !o.pass : o.code === w);
    return { id: o.id, code: o.code, want: w, ok, ...(ok && !o.skipped ? {} : { found: o.found }) };
  });
  const ok = checks.every((c) => c.ok);
  // A phase whose every named check was skipped proved nothing: reported as skipped, with why.
  const named = outcomes.filter((o) => want(o.id) !== 'any');
  const skipped = named.length > 0 && named.every((o) => o.skipped) ? named[0]!.found : undefined;
  return { phase, ok, checks, ...(skipped ? { skipped } : {}), ...(ok ? {} : { screens: screens(stage) }) };
}

function errorPhase(phase: PhaseReport['phase'], error: string, stage: Stage | undefined): PhaseReport {
  return { phase, ok: false, checks: [], error, ...(stage ? { screens: screens(stage) } : {}) };
}

function screens(stage: Stage) {
  return { host: screenText(stage.host), container: screenText(stage.container) };
}

function assemble(lab: Lab, steps: readonly StepPhases[], started: number): LabReport {
  const missing = (phase: PhaseReport['phase']): PhaseReport => ({ phase, ok: false, checks: [], error: 'did not run' });
  const stepReports = lab.steps.map((step: Step, s): StepReport => {
    const p = steps[s]!;
    const phases = [p.start ?? missing('start'), ...p.wrong.map((w) => w ?? missing('wrong')), p.solution ?? missing('solution')];
    return { id: step.id, ok: phases.every((x) => x.ok), phases };
  });
  return { id: lab.id, file: lab.origin.file, ok: stepReports.every((s) => s.ok), steps: stepReports, ms: Math.round(performance.now() - started) };
}

// ---- Reports: text for people, a stable JSON document, JUnit XML for CI ----

/** One line per defect; a lab without any is one line. */
export function formatReport(report: LabReport): string {
  if (report.unavailable) return `skip ${report.id}: ${report.unavailable}`;
  const lines = [`${report.ok ? 'ok  ' : 'FAIL'} ${report.id} (${(report.ms / 1000).toFixed(1)} s; ${summary(report)})`];
  for (const step of report.steps) {
    for (const phase of step.phases) {
      if (phase.ok && phase.skipped) lines.push(`  skip ${step.id} / ${phaseName(phase)}: ${phase.skipped}`);
      if (phase.ok) continue;
      const where = `${step.id} / ${phaseName(phase)}`;
      if (phase.error) lines.push(`  FAIL ${where}: ${phase.error}`);
      for (const c of phase.checks) if (!c.ok) lines.push(`  FAIL ${where}: ${defect(phase, c)}`);
      if (phase.screens) lines.push(indent(`--- host pane ---\n${phase.screens.host}\n--- container pane ---\n${phase.screens.container}`, '       '));
    }
  }
  return lines.join('\n');
}

function summary(report: LabReport): string {
  const steps = report.steps.length;
  const checks = report.steps.reduce((n, s) => n + (s.phases[0]?.checks.length ?? 0), 0);
  const wrong = report.steps.reduce((n, s) => n + s.phases.filter((p) => p.phase === 'wrong').length, 0);
  return `${steps} steps, ${checks} checks, ${wrong} wrong attempts`;
}

function phaseName(phase: PhaseReport): string {
  return phase.phase === 'wrong' ? `wrong attempt "${phase.name}"` : phase.phase;
}

function defect(phase: PhaseReport, c: CheckReport): string {
  if (phase.phase === 'start') return `check ${c.id} passed before anything was typed (${c.found})`;
  if (phase.phase === 'solution') return `check ${c.id} is not green after the reference solution: ${c.code} (${c.found})`;
  return `check ${c.id} gave ${c.code}, the attempt declares ${c.want} (${c.found})`;
}

function indent(text: string, prefix: string): string {
  return text.split('\n').map((l) => prefix + l).join('\n');
}

export const NSLAB_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The `--json` document. Every field but `found` and `problems` (sentences for people, which
 * may quote pids or paths) is stable from run to run on the same labs and kernel, so two runs
 * compare with a plain diff; durations and pane screens are left out for that reason.
 */
export function reportDocument(reports: readonly LabReport[], problems: readonly string[]) {
  return {
    format: FORMAT,
    nslab: NSLAB_VERSION,
    kernel: release(),
    ok: problems.length === 0 && reports.every((r) => r.ok),
    labs: reports.map((r) => ({
      id: r.id,
      file: r.file,
      ok: r.ok,
      ...(r.unavailable ? { unavailable: r.unavailable } : {}),
      steps: r.steps.map((s) => ({
        id: s.id,
        ok: s.ok,
        phases: s.phases.map((p) => ({ phase: p.phase, ...(p.name !== undefined ? { name: p.name } : {}), ok: p.ok, ...(p.skipped ? { skipped: p.skipped } : {}), ...(p.error ? { error: p.error } : {}), checks: p.checks })),
      })),
    })),
    problems,
  };
}

/** JUnit XML: a suite per lab, a test case per step and phase; a lab that did not load is a failed case. */
export function junitReport(reports: readonly LabReport[], problems: readonly string[]): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  for (const r of reports) {
    const cases: string[] = [];
    if (r.unavailable) cases.push(`    <testcase classname="${xml(`nslab.${r.id}`)}" name="available on this machine"><skipped message="${xml(r.unavailable)}"/></testcase>`);
    for (const step of r.steps) {
      for (const phase of step.phases) {
        const name = `${step.id}: ${phase.phase === 'start' ? 'every check red before anything is typed' : phase.phase === 'solution' ? 'every check green after the reference solution' : `wrong attempt "${phase.name}" gives the declared verdicts`}`;
        const body = phase.ok ? (phase.skipped ? `<skipped message="${xml(phase.skipped)}"/>` : '') : `<failure message="${xml(phase.error ?? `${phase.checks.filter((c) => !c.ok).length} check(s) off`)}">${xml(failureText(step.id, phase))}</failure>`;
        cases.push(`    <testcase classname="${xml(`nslab.${r.id}`)}" name="${xml(name)}">${body}</testcase>`);
      }
    }
    const failed = r.steps.reduce((n, s) => n + s.phases.filter((p) => !p.ok).length, 0);
    tests += cases.length;
    failures += failed;
    suites.push(`  <testsuite name="${xml(r.id)}" tests="${cases.length}" failures="${failed}" time="${(r.ms / 1000).toFixed(3)}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  if (problems.length) {
    const cases = problems.map((p) => `    <testcase classname="nslab.load" name="${xml(p.split(': ')[0]!)}"><failure message="${xml(p)}"/></testcase>`);
    tests += cases.length;
    failures += cases.length;
    suites.push(`  <testsuite name="load" tests="${cases.length}" failures="${cases.length}">\n${cases.join('\n')}\n  </testsuite>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nslab verify" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}

function failureText(stepId: string, phase: PhaseReport): string {
  const lines = phase.checks.filter((c) => !c.ok).map((c) => defect(phase, c));
  if (phase.error) lines.unshift(phase.error);
  if (phase.screens) lines.push('--- host pane ---', phase.screens.host, '--- container pane ---', phase.screens.container);
  return `${stepId} / ${phaseName(phase)}\n${lines.join('\n')}`;
}

/** Text for an XML attribute or element: the five entities, and no control characters XML 1.0 forbids. */
export function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}
