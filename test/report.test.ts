/**
 * The event log's chain and the report built from it: an edit anywhere in the log shows, and
 * the JUnit output validates against the JUnit schema (xmllint, Debian's libxml2-utils).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EventLog, GENESIS, hashLine } from '../src/report/event-log.ts';
import { toJunit, toTap } from '../src/report/formats.ts';
import { buildReport, type ReportLabInput } from '../src/report/report.ts';
import type { Progress } from '../src/labs/progress.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-report-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

let clock = Date.parse('2026-12-01T10:00:00Z');
const tick = () => new Date((clock += 30_000));

const LAB: ReportLabInput = { id: 'demo', title: 'A demo <lab> & "more"', steps: [{ id: 'one', title: 'First' }, { id: 'two', title: 'Second' }, { id: 'three', title: 'Third' }] };
const finding = { id: 'c1', title: 'root is the rootfs', pass: true, found: 'the rootfs' };

function filledLog(dir: string): EventLog {
  const log = new EventLog(dir, tick);
  log.append({ type: 'hint-shown', lab: 'demo', step: 0, stepId: 'one', hint: 1 });
  log.append({ type: 'step-passed', lab: 'demo', step: 0, stepId: 'one', findings: [finding] });
  log.append({ type: 'solution-shown', lab: 'demo', step: 1, stepId: 'two' });
  log.append({ type: 'step-passed', lab: 'demo', step: 1, stepId: 'two', findings: [finding] });
  return log;
}
const progress = (step: number, done = false): Progress => ({ version: 1, labs: { demo: { step, done, updatedAt: 'x' } } });
const report = (log: EventLog, p: Progress) => buildReport({ labs: [LAB], progress: p, log: log.read(), logFile: log.file, nslabVersion: '0.0.0', now: new Date(clock) });

describe('event log', () => {
  it('chains each record to the one before it', () => {
    const log = filledLog(tempDir());
    const lines = readFileSync(log.file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[0]!).prev).toBe(GENESIS);
    for (let i = 1; i < lines.length; i++) expect(JSON.parse(lines[i]!).prev).toBe(hashLine(lines[i - 1]!));
    expect(log.read()).toMatchObject({ trusted: 4, problem: null });
  });

  const tamperings: Array<[string, (lines: string[]) => string[], RegExp]> = [
    ['a record edited in the middle', (l) => l.map((x, i) => (i === 1 ? x.replace('"step":0', '"step":2') : x)), /line 3 does not follow/],
    ['a record removed', (l) => l.filter((_, i) => i !== 2), /line 3 does not follow/],
    ['the last record edited', (l) => l.map((x, i) => (i === 3 ? x.replace('the rootfs', 'the rootfs!') : x)), /last record .* was changed/],
    ['the last record removed', (l) => l.slice(0, 3), /head names record 3/],
    ['a line that is not a record', (l) => [...l.slice(0, 2), 'hello', ...l.slice(2)], /line 3 is not an event record/],
  ];
  for (const [what, edit, problem] of tamperings) {
    it(`shows ${what}`, () => {
      const log = filledLog(tempDir());
      const lines = readFileSync(log.file, 'utf8').trim().split('\n');
      writeFileSync(log.file, edit(lines).join('\n') + '\n');
      const reading = log.read();
      expect(reading.problem).toMatch(problem);
      expect(reading.trusted).toBeLessThan(4);
    });
  }

  it('refuses to write through a symlink planted at its name', () => {
    const dir = tempDir();
    const target = join(dir, 'elsewhere');
    writeFileSync(target, '');
    execFileSync('ln', ['-s', target, join(dir, 'events.jsonl')]);
    expect(() => new EventLog(dir).append({ type: 'reset', lab: 'demo', scope: 'world' })).toThrow(/ELOOP/);
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});

describe('report', () => {
  it('per step: pass with time, findings, hints and solutions; the rest not passed', () => {
    const r = report(filledLog(tempDir()), progress(2));
    expect(r).toMatchObject({ format: 'nslab-report', version: 1, summary: { tests: 3, pass: 2, fail: 1, error: 0 }, log: { intact: true } });
    const [one, two, three] = r.labs[0]!.steps;
    expect(one).toMatchObject({ status: 'pass', hintsShown: 1, solutionShown: false, findings: [finding], seconds: 30 });
    expect(two).toMatchObject({ status: 'pass', hintsShown: 0, solutionShown: true, seconds: 60 });
    expect(three).toMatchObject({ status: 'fail', message: /on this step/ });
  });

  it('a pass the progress file claims but the log does not hold is an error', () => {
    const log = filledLog(tempDir());
    expect(report(log, progress(3, true)).labs[0]!.steps[2]).toMatchObject({ status: 'error', message: /no record of the pass/ });
  });

  it('passes recorded after a break in the log are errors', () => {
    const log = filledLog(tempDir());
    const lines = readFileSync(log.file, 'utf8').trim().split('\n');
    writeFileSync(log.file, [lines[0], lines[1]!.replace('the rootfs', 'edited'), lines[2], lines[3]].join('\n') + '\n');
    const r = report(log, progress(2));
    expect(r.log.intact).toBe(false);
    expect(r.labs[0]!.steps.map((s) => s.status)).toEqual(['error', 'error', 'fail']);
  });

  it('counts afresh after `nslab reset`', () => {
    const log = filledLog(tempDir());
    log.append({ type: 'reset', lab: 'demo', scope: 'progress' });
    expect(report(log, { version: 1, labs: {} }).summary).toMatchObject({ pass: 0, fail: 3, error: 0 });
    expect(report(log, progress(1)).labs[0]!.steps[0]).toMatchObject({ status: 'error' });
  });

  const haveXmllint = spawnSync('xmllint', ['--version']).status === 0;
  it.skipIf(!haveXmllint)('JUnit XML validates against the JUnit schema, and a broken one does not', () => {
    const dir = tempDir();
    const file = join(dir, 'report.xml');
    const validate = () => spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit.xsd', file], { encoding: 'utf8' });
    const xml = toJunit(report(filledLog(dir), progress(2)));
    writeFileSync(file, xml);
    expect(validate().stderr).toMatch(/validates/);
    expect(validate().status).toBe(0);
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    // The schema is not a rubber stamp: a testcase without its name is refused.
    writeFileSync(file, xml.replace('<testcase name="01 one: First" ', '<testcase '));
    expect(validate().status).not.toBe(0);
  });

  it('TAP 14: a version line, a plan, a subtest per lab with a YAML block per step', () => {
    const tap = toTap(report(filledLog(tempDir()), progress(2)));
    const lines = tap.split('\n');
    expect(lines[0]).toBe('TAP version 14');
    expect(lines[1]).toBe('1..1');
    expect(tap).toContain('# Subtest: demo\n    1..3\n    ok 1 - one: First\n      ---\n      status: pass');
    expect(tap).toContain('    not ok 3 - three: Third');
    expect(lines).toContain('not ok 1 - demo');
  });

  it('a finding not checked on that machine (requires: unmet) is "skip", kept through the log', () => {
    const dir = tempDir();
    const log = new EventLog(dir, tick);
    const skipped = { id: 'limits', title: 'bounded', pass: false, skipped: true as const, found: 'not checked: no cgroup' };
    log.append({ type: 'step-passed', lab: 'demo', step: 0, stepId: 'one', findings: [finding, skipped] });
    const tap = toTap(report(log, progress(1)));
    expect(tap).toContain('- "skip limits: not checked: no cgroup"');
    expect(tap).toContain('- "pass c1: the rootfs"');
  });
});
