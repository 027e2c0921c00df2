/**
 * `nslab grade <script>`: the capstone's reference script grades green (exit 0, JSON, JUnit);
 * a broken script for each requirement grades red with that requirement's finding, and the
 * command exits 1. Each script runs only inside a fresh lab world.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { grade } from '../src/labs/grade.ts';
import { builtInLab } from './support/lab.ts';
import { guardRealMachine } from './support/host.ts';
import { runAsNobody } from './support/nobody.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'nslab-grade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference script: the heredoc the capstone's solution writes. */
async function referenceScript(): Promise<string> {
  const lab = await builtInLab('capstone');
  const line = lab.steps[0]!.solution.find((l) => l.pane === 'host')!.command;
  const body = /<<'EOF'\n([\s\S]*?)\nEOF/.exec(line);
  if (!body) throw new Error('the capstone solution no longer writes its script with a heredoc');
  return `${body[1]}\n`;
}

/**
 * One requirement dropped each: [finding that must be red, its code, the edit, and whether it is
 * the only red one (dropping a namespace also breaks what needs it; dropping the limits nothing else)].
 */
const BROKEN: ReadonlyArray<[string, string, (s: string) => string, 'alone'?]> = [
  ['pivoted', 'chroot', (s) => s.replace('pivot_root . oldroot', 'true').replace('umount -l /oldroot\n', '').replace('exec chroot / ', 'exec chroot . ')],
  ['old-root-detached', 'attached', (s) => s.replace('umount -l /oldroot\n', '')],
  ['own-pid', 'shared', (s) => s.replace('--pid ', '')],
  ['own-ipc', 'shared', (s) => s.replace('--ipc ', '')],
  ['own-proc', 'shared-pid-namespace', (s) => s.replace('mount -t proc proc /proc\n', '')],
  ['veth', 'none', (s) => s.split('\n').filter((l) => !/cveth|hveth/.test(l)).join('\n')],
  ['volume-read-only', 'writable', (s) => s.replace('mount -o remount,bind,ro "$ROOTFS/data"\n', '')],
  ['hostname', 'shared-namespace', (s) => s.replace('--uts ', '')],
  ['volume', 'missing', (s) => s.split('\n').filter((l) => !l.includes('/data"')).join('\n')],
  // The whole "where available" block gone: the script's shell stays in the lab's own cgroup.
  ['limits', 'not-moved', (s) => s.replace(/^if \[ -d \/sys\/fs\/cgroup[\s\S]*?^fi\n/m, ''), 'alone'],
];

describe('nslab grade', () => {
  it('grades the reference script green, with exit 0, JSON and JUnit', async () => {
    const script = join(dir, 'ok.sh');
    writeFileSync(script, await referenceScript());
    const junit = join(dir, 'ok.xml');
    const { stdout } = await run(process.execPath, ['bin/nslab.js', 'grade', script, '--json', '--junit', junit], {
      env: { ...process.env, XDG_STATE_HOME: join(dir, 'state'), XDG_CACHE_HOME: join(tmpdir(), 'nslab-test-xdg-cache') },
      timeout: 120_000,
    });
    const doc = JSON.parse(stdout) as { ok: boolean; findings: { id: string; pass: boolean }[] };
    expect(doc.ok).toBe(true);
    expect(doc.findings.length).toBe(14);
    // As root here, nslab can delegate a cgroup: the limits are checked, and hold.
    expect(doc.findings.find((f) => f.id === 'limits')).toMatchObject({ pass: true });
    expect(readFileSync(junit, 'utf8')).toMatch(/tests="14" failures="0" skipped="0"/);
  }, 120_000);

  for (const [id, code, edit, alone] of BROKEN) {
    it(`a script without ${id} is red with that finding`, async () => {
      const lab = await builtInLab('capstone');
      const script = edit(await referenceScript());
      expect(script).not.toBe(await referenceScript());
      const result = await grade(lab, Buffer.from(script), await testRootfsTar());
      expect(result.ok).toBe(false);
      const finding = result.findings.find((f) => f.id === id)!;
      expect([finding.pass, finding.code]).toEqual([false, code]);
      if (alone) expect(result.findings.filter((f) => !f.pass).map((f) => f.id)).toEqual([id]);
    }, 120_000);
  }

  it('exits 1 on a broken script and names the finding', async () => {
    const script = join(dir, 'bad.sh');
    writeFileSync(script, (await referenceScript()).replace('umount -l /oldroot\n', ''));
    const result = await run(process.execPath, ['bin/nslab.js', 'grade', script], {
      env: { ...process.env, XDG_STATE_HOME: join(dir, 'state'), XDG_CACHE_HOME: join(tmpdir(), 'nslab-test-xdg-cache') },
      timeout: 120_000,
    }).then(() => ({ code: 0, stdout: '' }), (e: { code: number; stdout: string }) => e);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAIL old-root-detached/);
  }, 120_000);

  it.skipIf(process.getuid?.() !== 0)('where no cgroup can be delegated, the limits are skipped: not checked, neither failed nor passed', async () => {
    // nslab run by an ordinary user has only the rlimit floor (test/labs/requirements.test.ts).
    const out = JSON.parse(await runAsNobody('test/support/grade-as-nobody.ts', 120_000, [Buffer.from(await referenceScript()).toString('base64')])) as {
      document: { ok: boolean; findings: { id: string; pass: boolean; skipped?: boolean; code: string; found: string }[] };
      junit: string;
      text: string;
    };
    const failing = out.document.findings.filter((f) => !f.pass && !f.skipped);
    expect(failing, out.text).toEqual([]);
    expect(out.document.ok).toBe(true);
    const limits = out.document.findings.find((f) => f.id === 'limits')!;
    expect(limits).toMatchObject({ pass: false, skipped: true, code: 'skipped' });
    expect(limits.found).toMatch(/^not checked: a cgroup cannot be delegated to the lab: .*; to enable it, start nslab as root/);
    expect(out.junit).toMatch(/tests="14" failures="0" skipped="1"/);
    expect(out.junit).toMatch(/<testcase classname="nslab.capstone" name="limits: [^"]*"><skipped message="not checked: /);
    expect(out.text).toMatch(/^skip limits: /m);
    expect(out.text).toMatch(/every requirement holds that this machine can check \(1 not checked on this machine\)/);
  }, 150_000);

  it('refuses a script it cannot read, in words', async () => {
    const result = await run(process.execPath, ['bin/nslab.js', 'grade', join(dir, 'missing.sh')]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot be read/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
