/**
 * The report written out: JSON (the report object itself, versioned), JUnit XML (one
 * testsuite per lab, one testcase per step, as the Ant/Jenkins schema has it), TAP 14 (one
 * subtest per lab) and plain text for a person.
 */
import type { Finding } from './event-log.ts';
import type { LabReport, Report, StepReport } from './report.ts';

export function toJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** XML 1.0 text: the five special characters escaped, characters XML cannot carry dropped. */
function xml(text: string): string {
  return text
    .replace(/[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A finding's word: a skipped one (not checked on that machine) is neither pass nor fail. */
function verdictWord(f: Finding): string {
  return f.skipped ? 'skip' : f.pass ? 'pass' : 'fail';
}

function findingLines(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${verdictWord(f)} ${f.id}: ${f.title} — found ${f.found}`);
}

function stepDetails(step: StepReport): string[] {
  return [
    `passed at: ${step.passedAt ?? 'never'}`,
    `hints shown: ${step.hintsShown}`,
    `solution shown: ${step.solutionShown ? 'yes' : 'no'}`,
    ...findingLines(step.findings),
  ];
}

export function toJunit(report: Report): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const { summary } = report;
  out.push(`<testsuites name="nslab" tests="${summary.tests}" failures="${summary.fail}" errors="${summary.error}" time="0">`);
  for (const [i, lab] of report.labs.entries()) {
    const failures = lab.steps.filter((s) => s.status === 'fail').length;
    const errors = lab.steps.filter((s) => s.status === 'error').length;
    out.push(
      `  <testsuite name="${xml(lab.id)}" id="${i}" package="nslab" tests="${lab.steps.length}" failures="${failures}" errors="${errors}" skipped="0" time="${labSeconds(lab)}" timestamp="${report.generatedAt.slice(0, 19)}" hostname="localhost">`,
    );
    out.push('    <properties>');
    out.push(`      <property name="title" value="${xml(lab.title)}"/>`);
    out.push(`      <property name="report-version" value="${report.version}"/>`);
    out.push(`      <property name="event-log-intact" value="${report.log.intact}"/>`);
    out.push(`      <property name="notice" value="${xml(report.notice)}"/>`);
    out.push('    </properties>');
    for (const step of lab.steps) {
      const name = `${String(step.index + 1).padStart(2, '0')} ${step.id}: ${step.title}`;
      out.push(`    <testcase name="${xml(name)}" classname="nslab.${xml(lab.id)}" time="${step.seconds ?? 0}">`);
      if (step.status === 'fail') out.push(`      <failure message="${xml(step.message ?? '')}" type="not-passed"/>`);
      if (step.status === 'error') out.push(`      <error message="${xml(step.message ?? '')}" type="evidence"/>`);
      out.push(`      <system-out>${xml(stepDetails(step).join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('    <system-out/>');
    out.push('    <system-err/>');
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}

function labSeconds(lab: LabReport): number {
  return lab.steps.reduce((sum, s) => sum + (s.seconds ?? 0), 0);
}

/** A YAML scalar for a TAP diagnostic block: JSON strings are valid YAML flow scalars. */
const yaml = (value: string | number | boolean | null) => JSON.stringify(value);

/** TAP 14 (testanything.org/tap-version-14-specification): a subtest per lab. */
export function toTap(report: Report): string {
  const out: string[] = ['TAP version 14', `1..${report.labs.length}`, `# ${report.notice}`];
  if (!report.log.intact) out.push(`# the event log is broken: ${report.log.problem}`);
  for (const [i, lab] of report.labs.entries()) {
    out.push(`# Subtest: ${lab.id}`);
    out.push(`    1..${lab.steps.length}`);
    for (const step of lab.steps) {
      const ok = step.status === 'pass';
      out.push(`    ${ok ? 'ok' : 'not ok'} ${step.index + 1} - ${tapDescription(`${step.id}: ${step.title}`)}`);
      out.push('      ---');
      out.push(`      status: ${step.status}`);
      if (step.message) out.push(`      message: ${yaml(step.message)}`);
      out.push(`      passedAt: ${yaml(step.passedAt)}`);
      out.push(`      hintsShown: ${step.hintsShown}`);
      out.push(`      solutionShown: ${step.solutionShown}`);
      if (step.findings.length) {
        out.push('      findings:');
        for (const f of step.findings) out.push(`        - ${yaml(`${verdictWord(f)} ${f.id}: ${f.found}`)}`);
      }
      out.push('      ...');
    }
    out.push(`${lab.status === 'pass' ? 'ok' : 'not ok'} ${i + 1} - ${tapDescription(lab.id)}`);
  }
  return `${out.join('\n')}\n`;
}

/** A TAP description may not contain '#' unescaped (it starts a directive) nor a newline. */
function tapDescription(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/\\/g, '\\\\').replace(/#/g, '\\#');
}

export function toText(report: Report): string {
  const out: string[] = [];
  if (!report.log.intact) out.push(`WARNING: the event log ${report.log.file} is broken: ${report.log.problem}.`, '');
  for (const lab of report.labs) {
    out.push(`${lab.id}  ${lab.title}  [${lab.status}]`);
    for (const step of lab.steps) {
      const mark = step.status === 'pass' ? '✓' : step.status === 'error' ? '!' : '✗';
      const help = [step.hintsShown ? `${step.hintsShown} hint${step.hintsShown > 1 ? 's' : ''}` : '', step.solutionShown ? 'solution shown' : ''].filter(Boolean).join(', ');
      const when = step.passedAt ? `passed ${step.passedAt}` : step.message;
      out.push(`  ${mark} ${step.index + 1}. ${step.id}: ${when}${help ? ` (${help})` : ''}`);
      if (step.status === 'error') out.push(`      ${step.message}`);
    }
  }
  const s = report.summary;
  out.push('', `${s.pass} passed, ${s.fail} not passed, ${s.error} in doubt, of ${s.tests} steps.`, report.notice);
  return `${out.join('\n')}\n`;
}
