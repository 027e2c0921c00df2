/**
 * `nslab grade <script>`: the capstone, headless, for a grader. The student's script is put at
 * /root/container.sh in a fresh lab world, the capstone's run lines are typed (the container
 * pane runs it), and every check of the capstone step gives one finding per requirement. The
 * script runs only inside the lab world, as the lab's root; its output never decides a finding
 * (the checks read the kernel from nslab's side).
 */
import { NslabError } from '../errors.ts';
import { Stage } from '../world/stage.ts';
import { holdsOrSkipped, runChecks, typeLines, type CheckOutcome } from './runner.ts';
import type { Lab } from './types.ts';
import { NSLAB_VERSION, xml } from './verify.ts';

export const CAPSTONE_ID = 'capstone';
/** A script larger than this is not a container script (and would flood the lab's shell). */
export const MAX_SCRIPT_BYTES = 64 * 1024;

export interface GradeResult {
  readonly ok: boolean;
  readonly findings: readonly CheckOutcome[];
}

export async function grade(lab: Lab, script: Buffer, rootfsTar: string): Promise<GradeResult> {
  if (script.length > MAX_SCRIPT_BYTES) throw new NslabError(`The script is ${script.length} bytes; a container script is at most ${MAX_SCRIPT_BYTES}.`, 'Give nslab grade the one shell script that starts the container.');
  const step = lab.steps[0]!;
  // base64 in single quotes: no byte of the student's script can end the quoting or the setup.
  const setup = `${lab.start.setup ?? ''}\nprintf %s '${script.toString('base64')}' | base64 -d > /root/container.sh\n`;
  const stage = await Stage.open({ ...lab.start, setup }, rootfsTar, { cols: 120, rows: 40 });
  try {
    await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
    // Only the lines that run the script: the reference solution's own script is not typed.
    await typeLines(step.solution.filter((l) => l.pane === 'container'), stage);
    const findings = await runChecks(step, stage);
    // A requirement this machine cannot check (limits without a cgroup to delegate) is skipped:
    // it neither fails the grade nor counts as held (every report says "skip" and why).
    return { ok: findings.every(holdsOrSkipped), findings };
  } finally {
    await stage.close();
  }
}

export function gradeText(r: GradeResult): string {
  const lines = r.findings.map((f) =>
    f.skipped ? `skip ${f.id}: ${f.title}\n       ${f.found}`
    : `${f.pass ? 'ok  ' : 'FAIL'} ${f.id}: ${f.title}${f.pass ? '' : `\n       expected: ${f.expected}\n       found: ${f.found}`}`);
  const failed = r.findings.filter((f) => !holdsOrSkipped(f)).length;
  const skipped = r.findings.filter((f) => f.skipped).length;
  const notChecked = skipped ? ` (${skipped} not checked on this machine)` : '';
  lines.push(r.ok ? `every requirement holds${skipped ? ` that this machine can check${notChecked}` : ''}` : `${failed} of ${r.findings.length} requirements do not hold${notChecked}`);
  return lines.join('\n');
}

export function gradeDocument(script: string, r: GradeResult) {
  return { nslab: NSLAB_VERSION, lab: CAPSTONE_ID, script, ok: r.ok, findings: r.findings.map((f) => ({ id: f.id, title: f.title, pass: f.pass, ...(f.skipped ? { skipped: true } : {}), code: f.code, expected: f.expected, found: f.found })) };
}

export function gradeJunit(script: string, r: GradeResult): string {
  const failed = r.findings.filter((f) => !holdsOrSkipped(f)).length;
  const skipped = r.findings.filter((f) => f.skipped).length;
  const body = (f: CheckOutcome) =>
    f.skipped ? `<skipped message="${xml(f.found)}"/>` : f.pass ? '' : `<failure message="${xml(f.code)}">${xml(`expected: ${f.expected}\nfound: ${f.found}`)}</failure>`;
  const cases = r.findings.map((f) => `    <testcase classname="nslab.capstone" name="${xml(`${f.id}: ${f.title}`)}">${body(f)}</testcase>`);
  const counts = `tests="${cases.length}" failures="${failed}" skipped="${skipped}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="nslab grade" ${counts}>\n  <testsuite name="${xml(script)}" ${counts}>\n${cases.join('\n')}\n  </testsuite>\n</testsuites>\n`;
}
