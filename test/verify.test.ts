/**
 * `nslab verify` for real, in lab worlds: a sound lab passes start, wrong attempts and solution;
 * each kind of lab defect fails it with a sentence that says which; a stuck check is reported as
 * such without holding anything up; the reports (text, JSON, JUnit) say the same.
 */
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/labs/catalog.ts';
import { runChecks } from '../src/labs/runner.ts';
import type { Lab } from '../src/labs/types.ts';
import { formatReport, junitReport, NSLAB_VERSION, reportDocument, verifyLabs } from '../src/labs/verify.ts';
import { guardRealMachine } from './support/host.ts';
import { openLab } from './support/lab.ts';
import { labMd, labsDir, TEST_LIBRARY } from './support/lab-files.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

async function loadOne(text: string, files: Record<string, string> = {}): Promise<Lab> {
  const root = labsDir({ '01-lab/lab.md': text, ...files });
  const { labs, problems } = await loadCatalog({ builtInDir: null, labDirs: [root], library: TEST_LIBRARY, languages: [] });
  expect(problems).toEqual([]);
  return labs[0]!;
}

const verify = async (lab: Lab) => (await verifyLabs([lab], await testRootfsTar(), { library: TEST_LIBRARY }))[0]!;

describe('nslab verify', () => {
  it('passes a sound lab: every start red, every wrong attempt as declared (earlier steps replayed), every solution green', async () => {
    const lab = await loadOne(labMd('lab'));
    const report = await verify(lab);
    expect(report.ok, formatReport(report)).toBe(true);
    // The document holds nothing that changes from run to run: it equals this, field for field.
    expect(reportDocument([report], [])).toEqual({
      format: 1,
      nslab: NSLAB_VERSION,
      kernel: release(),
      ok: true,
      problems: [],
      labs: [
        {
          id: 'lab',
          file: lab.origin.file,
          ok: true,
          steps: [
            {
              id: 'first',
              ok: true,
              phases: [
                { phase: 'start', ok: true, checks: [{ id: 'a-says-hello', code: 'missing', want: 'fail', ok: true }] },
                { phase: 'wrong', name: 'an empty file', ok: true, checks: [{ id: 'a-says-hello', code: 'different', want: 'different', ok: true }] },
                { phase: 'wrong', name: 'the wrong file', ok: true, checks: [{ id: 'a-says-hello', code: 'missing', want: 'missing', ok: true }] },
                { phase: 'solution', ok: true, checks: [{ id: 'a-says-hello', code: 'pass', want: 'pass', ok: true }] },
              ],
            },
            {
              id: 'second',
              ok: true,
              phases: [
                { phase: 'start', ok: true, checks: [{ id: 'c-says-hello', code: 'missing', want: 'fail', ok: true }] },
                // "different", not "missing": /tmp/a existed, so step 1's solution was replayed first.
                { phase: 'wrong', name: 'copied, then appended to', ok: true, checks: [{ id: 'c-says-hello', code: 'different', want: 'different', ok: true }] },
                { phase: 'solution', ok: true, checks: [{ id: 'c-says-hello', code: 'pass', want: 'pass', ok: true }] },
              ],
            },
          ],
        },
      ],
    });
    expect(formatReport(report)).toMatch(/^ok   lab \(\d+\.\d s; 2 steps, 2 checks, 3 wrong attempts\)$/);
    const junit = junitReport([report], []);
    expect(junit).toMatch(/<testsuites name="nslab verify" tests="7" failures="0">/);
    expect(junit.match(/<testcase /g)).toHaveLength(7);
  });

  it('fails a lab for each defect: green before anything was typed, a wrong verdict, a solution that stays red', async () => {
    const text = labMd('lab', (t) =>
      t
        // Step 1's check is green at the start: the setup already wrote the file.
        .replace('    root: none\n', '    root: none\n  setup: echo hello > /tmp/a\n')
        // Step 2's wrong attempt declares the wrong code, and its solution writes the wrong text.
        .replace('c-says-hello: different', 'c-says-hello: missing')
        .replace('      - host: cp /tmp/a /tmp/c\n        wait: 10', '      - host: echo hullo > /tmp/c'),
    );
    const report = await verify(await loadOne(text));
    expect(report.ok).toBe(false);
    const out = formatReport(report);
    expect(out).toMatch(/^FAIL lab /);
    expect(out).toContain('FAIL first / start: check a-says-hello passed before anything was typed (it does)');
    expect(out).toContain('FAIL second / wrong attempt "copied, then appended to": check c-says-hello gave different, the attempt declares missing (/tmp/c: different ("hello more"))');
    expect(out).toContain('FAIL second / solution: check c-says-hello is not green after the reference solution: different (/tmp/c: different ("hullo"))');
    expect(out).toContain('--- host pane ---');
    const doc = reportDocument([report], []);
    expect(doc.ok).toBe(false);
    expect(doc.labs[0]!.steps.map((s) => s.phases.map((p) => p.ok))).toEqual([
      // The setup's file also turns step 1's wrong attempts green: each is a defect of its own.
      [false, false, false, true],
      [true, false, false],
    ]);
    const junit = junitReport([report], ['labs/02-x/lab.md:3: field id: is "y"']);
    expect(junit).toMatch(/<testsuites name="nslab verify" tests="8" failures="6">/);
    expect(junit).toContain('<testcase classname="nslab.load" name="labs/02-x/lab.md:3"><failure message="labs/02-x/lab.md:3: field id: is &quot;y&quot;"/></testcase>');
  });

  it('reports a check that never answers as stuck, within its budget, and does not start it again while it hangs', async () => {
    const lab = await loadOne(
      labMd('lab', (t) =>
        t.replace(
          '    checks:\n      - id: a-says-hello',
          '    checks:\n      - id: hangs\n        title: never answers\n        predicate: test.hangs\n      - id: a-says-hello',
        ),
      ),
    );
    const stage = await openLab(lab);
    try {
      const step = lab.steps[0]!;
      const [hung, other] = await runChecks(step, stage, { library: TEST_LIBRARY, budgetMs: 300 });
      expect(hung).toMatchObject({ id: 'hangs', pass: false, code: 'error' });
      expect(hung!.found).toMatch(/did not answer within 0\.3 s \(stuck\)/);
      // The other check's verdict stands.
      expect(other).toMatchObject({ id: 'a-says-hello', code: 'missing' });
      const [again] = await runChecks(step, stage, { library: TEST_LIBRARY, budgetMs: 300 });
      expect(again!.found).toMatch(/still stuck from an earlier run/);
    } finally {
      await stage.close();
    }
  });
});
