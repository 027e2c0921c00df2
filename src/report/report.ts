/**
 * The grader's report: for every lab and every step, whether it passed, when, what the kernel
 * showed at that moment, and the hints and solutions used — from the progress file, backed by
 * the event log. A step the progress file calls passed but for which no trusted record of the
 * pass exists is an `error`: the two sources disagree, and the report says so instead of
 * choosing one.
 */
import type { Progress } from '../labs/progress.ts';
import type { EventRecord, Finding, LogReading } from './event-log.ts';

/** Bumped on any change a consumer could notice; additions of optional fields included. */
export const REPORT_VERSION = 1;

export type TestStatus = 'pass' | 'fail' | 'error';

export interface ReportLabInput {
  readonly id: string;
  readonly title: string;
  readonly steps: ReadonlyArray<{ readonly id: string; readonly title: string }>;
}

export interface StepReport {
  readonly index: number;
  readonly id: string;
  readonly title: string;
  readonly status: TestStatus;
  /** Why it is not a pass (or what is wrong with its evidence); null for a pass. */
  readonly message: string | null;
  /** When its checks all passed (the first time since the lab was last reset), ISO 8601. */
  readonly passedAt: string | null;
  /** Seconds from the previous step's pass (or the lab's first record) to this pass. */
  readonly seconds: number | null;
  /** What each check found at the moment of the pass. */
  readonly findings: readonly Finding[];
  readonly hintsShown: number;
  readonly solutionShown: boolean;
}

export interface LabReport {
  readonly id: string;
  readonly title: string;
  readonly status: TestStatus;
  readonly done: boolean;
  readonly steps: readonly StepReport[];
}

export interface Report {
  readonly format: 'nslab-report';
  readonly version: typeof REPORT_VERSION;
  readonly generatedAt: string;
  readonly nslabVersion: string;
  readonly log: { readonly file: string; readonly records: number; readonly trusted: number; readonly intact: boolean; readonly problem: string | null };
  readonly summary: { readonly tests: number; readonly pass: number; readonly fail: number; readonly error: number };
  readonly labs: readonly LabReport[];
  /** Said in every format: a report made on the student's machine is evidence, not proof. */
  readonly notice: string;
}

export const EVIDENCE_NOTICE =
  'A report made on the student\'s own machine is evidence, not proof: the student owns the files it is made from.';

export interface ReportInput {
  readonly labs: readonly ReportLabInput[];
  readonly progress: Progress;
  readonly log: LogReading;
  readonly logFile: string;
  readonly nslabVersion: string;
  readonly now: Date;
}

export function buildReport(input: ReportInput): Report {
  const { log } = input;
  const trusted = new Set(log.records.slice(0, log.trusted));
  const labs = input.labs.map((lab) => labReport(lab, input.progress, log.records, trusted));
  const steps = labs.flatMap((l) => l.steps);
  const count = (status: TestStatus) => steps.filter((s) => s.status === status).length;
  return {
    format: 'nslab-report',
    version: REPORT_VERSION,
    generatedAt: input.now.toISOString(),
    nslabVersion: input.nslabVersion,
    log: { file: input.logFile, records: log.records.length, trusted: log.trusted, intact: log.problem === null, problem: log.problem },
    summary: { tests: steps.length, pass: count('pass'), fail: count('fail'), error: count('error') },
    labs,
    notice: EVIDENCE_NOTICE,
  };
}

function labReport(lab: ReportLabInput, progress: Progress, all: readonly EventRecord[], trusted: ReadonlySet<EventRecord>): LabReport {
  const entry = progress.labs[lab.id];
  // Evidence counts from the last `nslab reset` of this lab on: that reset forgot the lab.
  const mine = all.filter((r) => r.lab === lab.id);
  let epochStart = 0;
  for (const [i, r] of mine.entries()) if (r.type === 'reset' && r.scope === 'progress') epochStart = i + 1;
  const epoch = mine.slice(epochStart);
  let previousAt: string | null = epoch[0]?.at ?? null;
  const steps = lab.steps.map((step, index): StepReport => {
    const passedInProgress = entry !== undefined && (entry.done || index < entry.step);
    const forStep = epoch.filter((r) => r.type !== 'reset' && r.step === index && r.stepId === step.id);
    const pass = forStep.find((r) => r.type === 'step-passed');
    const hintsShown = Math.max(0, ...forStep.map((r) => (r.type === 'hint-shown' ? r.hint : 0)));
    const solutionShown = forStep.some((r) => r.type === 'solution-shown');
    const base = { index, id: step.id, title: step.title, hintsShown, solutionShown };
    if (!passedInProgress) {
      const reached = entry !== undefined && index === entry.step;
      return { ...base, status: 'fail', message: reached ? 'not passed yet (the student is on this step)' : 'not reached', passedAt: null, seconds: null, findings: [] };
    }
    if (!pass || pass.type !== 'step-passed') {
      return { ...base, status: 'error', message: 'the progress file says passed, but the event log has no record of the pass', passedAt: null, seconds: null, findings: [] };
    }
    const seconds = previousAt === null ? null : Math.max(0, Math.round((Date.parse(pass.at) - Date.parse(previousAt)) / 1000));
    previousAt = pass.at;
    if (!trusted.has(pass)) {
      return { ...base, status: 'error', message: 'the record of this pass comes after a break in the event log', passedAt: pass.at, seconds, findings: pass.findings };
    }
    return { ...base, status: 'pass', message: null, passedAt: pass.at, seconds, findings: pass.findings };
  });
  const status: TestStatus = steps.some((s) => s.status === 'error') ? 'error' : steps.every((s) => s.status === 'pass') ? 'pass' : 'fail';
  return { id: lab.id, title: lab.title, status, done: entry?.done ?? false, steps };
}
