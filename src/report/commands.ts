/** `nslab report` and `nslab reset`: what a grader reads, and how a student starts over. */
import { createInterface } from 'node:readline/promises';
import packageJson from '../../package.json' with { type: 'json' };
import { NslabError } from '../errors.ts';
import { ProgressStore } from '../labs/progress.ts';
import type { Lab } from '../labs/types.ts';
import { EventLog } from './event-log.ts';
import { toJson, toJunit, toTap, toText } from './formats.ts';
import { buildReport } from './report.ts';

export type ReportFormat = 'json' | 'junit' | 'tap' | 'text';

/** Prints the report; exit status 1 when the event log is broken, so a script notices. */
export function runReport(labs: readonly Lab[], format: ReportFormat, store = new ProgressStore()): void {
  const { progress, warning } = store.load();
  if (warning) process.stderr.write(`nslab: ${warning}\n`);
  const log = new EventLog(store.dir);
  const report = buildReport({ labs, progress, log: log.read(), logFile: log.file, nslabVersion: packageJson.version, now: new Date() });
  const write = { json: toJson, junit: toJunit, tap: toTap, text: toText }[format];
  process.stdout.write(write(report));
  if (!report.log.intact) {
    process.stderr.write(`nslab: the event log ${log.file} has been changed: ${report.log.problem}. Passes recorded after that point are reported as errors.\n`);
    process.exitCode = 1;
  }
}

/**
 * Forgets the progress of one lab or of all: their entries leave the progress file, and the
 * event log (append-only) gets a reset record, after which the report counts afresh.
 */
export async function runReset(labs: readonly Lab[], target: { labId?: string; all?: boolean; yes?: boolean }, store = new ProgressStore()): Promise<void> {
  if (!target.labId && !target.all) throw new NslabError('Say which lab to reset, or --all.', 'Example: nslab reset pivot-root');
  if (target.labId && target.all) throw new NslabError('Give a lab or --all, not both.');
  const ids = target.all ? labs.map((l) => l.id) : [target.labId!];
  if (target.labId && !labs.some((l) => l.id === target.labId)) {
    throw new NslabError(`There is no lab "${target.labId}".`, `Labs: ${labs.map((l) => l.id).join(', ')}.`);
  }
  const what = target.all ? 'your progress in every lab' : `your progress in ${target.labId}`;
  if (!target.yes && !(await confirm(`Forget ${what}? [y/N] `))) {
    process.stdout.write('Nothing was changed.\n');
    return;
  }
  const { progress, warning } = store.load();
  if (warning) process.stderr.write(`nslab: ${warning}\n`);
  for (const id of ids) delete progress.labs[id];
  store.save(progress);
  const log = new EventLog(store.dir);
  for (const id of ids) log.append({ type: 'reset', lab: id, scope: 'progress' });
  process.stdout.write(`Forgot ${what}.\n`);
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new NslabError('nslab reset asks before it forgets anything, and there is no terminal to ask on.', 'Add --yes to reset without asking (for scripts).');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
