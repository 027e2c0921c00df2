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

/** One requirement dropped each: [finding that must be red, its code, the edit]. */
const BROKEN: ReadonlyArray<[string, string, (s: string) => string]> = [
  ['pivoted', 'chroot', (s) => s.replace('pivot_root . oldroot', 'true').replace('umount -l /oldroot\n', '').replace('exec chroot / ', 'exec chroot . ')],
  ['old-root-detached', 'attached', (s) => s.replace('umount -l /oldroot\n', '')],
  ['own-pid', 'shared', (s) => s.replace('--pid ', '')],
  ['own-ipc', 'shared', (s) => s.replace('--ipc ', '')],
  ['own-proc', 'shared-pid-namespace', (s) => s.replace('mount -t proc proc /proc\n', '')],
  ['veth', 'none', (s) => s.split('\n').filter((l) => !/cveth|hveth/.test(l)).join('\n')],
  ['volume-read-only', 'writable', (s) => s.replace('mount -o remount,bind,ro "$ROOTFS/data"\n', '')],
  ['hostname', 'shared-namespace', (s) => s.replace('--uts ', '')],
  ['volume', 'missing', (s) => s.split('\n').filter((l) => !l.includes('/data"')).join('\n')],
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
    expect(doc.findings.length).toBe(13);
    expect(readFileSync(junit, 'utf8')).toMatch(/tests="13" failures="0"/);
  }, 120_000);

  for (const [id, code, edit] of BROKEN) {
    it(`a script without ${id} is red with that finding`, async () => {
      const lab = await builtInLab('capstone');
      const script = edit(await referenceScript());
      expect(script).not.toBe(await referenceScript());
      const result = await grade(lab, Buffer.from(script), await testRootfsTar());
      expect(result.ok).toBe(false);
      const finding = result.findings.find((f) => f.id === id)!;
      expect([finding.pass, finding.code]).toEqual([false, code]);
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

  it('refuses a script it cannot read, in words', async () => {
    const result = await run(process.execPath, ['bin/nslab.js', 'grade', join(dir, 'missing.sh')]).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot be read/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
