/** The command line as a user runs it: output, exit codes, and clear errors without stack traces. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { reportDocument } from '../src/labs/verify.ts';
import { labMd, labsDir } from './support/lab-files.ts';
import { testRootfsTar } from './support/rootfs.ts';

type VerifyDocument = ReturnType<typeof reportDocument>;

const run = promisify(execFile);
const state = mkdtempSync(join(tmpdir(), 'nslab-cli-state-'));

async function nslab(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/nslab.js', ...args], {
      env: { ...process.env, XDG_STATE_HOME: state, XDG_CACHE_HOME: join(tmpdir(), 'nslab-test-xdg-cache'), ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  await testRootfsTar();
});

describe('nslab command line', () => {
  it('list --json: ids, titles, step counts, progress', async () => {
    const { code, stdout } = await nslab(['list', '--json']);
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as Array<{ id: string; steps: number; progress: string }>;
    // The teaching order of the README's table.
    expect(rows.map((r) => r.id)).toEqual([
      'namespaces-101', 'user-namespaces', 'chroot-escape', 'proc-leakage', 'pivot-root', 'overlay-rootfs',
      'mount-propagation', 'nsenter', 'volumes', 'veth-pairing', 'capabilities', 'cgroups', 'capstone',
    ]);
    for (const r of rows) {
      expect(r.steps).toBeGreaterThan(0);
      expect(r.progress).toBe('new');
    }
  });

  it('verify <lab-id> --json: a stable document, every check red at the start and green after the solution', async () => {
    const { code, stdout } = await nslab(['verify', 'pivot-root', '--json']);
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as VerifyDocument;
    expect(doc).toMatchObject({ format: 1, nslab: expect.stringMatching(/^\d+\.\d+\.\d+/), kernel: release(), ok: true, problems: [] });
    const [lab] = doc.labs;
    expect(lab!.id).toBe('pivot-root');
    for (const step of lab!.steps) {
      expect(step.phases.at(0)!.phase).toBe('start');
      expect(step.phases.at(-1)!.phase).toBe('solution');
      for (const phase of step.phases) expect(phase.ok, `${step.id} ${phase.phase}`).toBe(true);
      expect(step.phases.at(-1)!.checks.every((c) => c.code === 'pass')).toBe(true);
      expect(step.phases.at(0)!.checks.every((c) => c.code !== 'pass')).toBe(true);
    }
  });

  it('verify --labs examples/labs --junit: the README\'s example lab is proven, as an instructor would run it', async () => {
    const junit = join(state, 'example.xml');
    const { code, stdout } = await nslab(['verify', '--labs', 'examples/labs', '--junit', junit]);
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/^ok   private-notes \(/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testsuites name="nslab verify" tests="7" failures="0">/);
  });

  it("a --labs lab with code: refused without --trust-lab-code (list and verify say why), verified with it", async () => {
    const checks = `export default ({ z }) => [{
  name: 'notes.fileSays',
  params: z.object({ path: z.string(), text: z.string() }).strict(),
  codes: ['missing', 'different'],
  evaluate(view, { path, text }) {
    const found = view.labHost?.read(path) ?? null;
    if (found === null) return { code: 'missing', facts: {} };
    return { code: found.trim() === text ? 'pass' : 'different', facts: {} };
  },
  explain: ({ path, text }, verdict) => ({ expected: path + ' says ' + text, found: verdict.code }),
}];
`;
    const dir = labsDir({ '01-notes/lab.md': labMd('notes', (t) => t.replaceAll('test.fileSays', 'notes.fileSays')), '01-notes/checks.js': checks });
    const list = await nslab(['list', '--labs', dir]);
    expect(list.code).toBe(1);
    expect(list.stderr).toContain(`nslab: ${dir}/01-notes/checks.js: is code that would run inside nslab`);
    expect(list.stdout).toContain('pivot-root');
    const refused = await nslab(['verify', '--labs', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^FAIL .*01-notes\/checks\.js: .*pass --trust-lab-code to load it$/m);
    const trusted = await nslab(['verify', '--labs', dir, '--trust-lab-code', '--json']);
    expect(trusted.code, trusted.stdout).toBe(0);
    const doc = JSON.parse(trusted.stdout) as VerifyDocument;
    expect(doc.labs.map((l) => [l.id, l.ok])).toEqual([['notes', true]]);
  });

  it('explains what is wrong, never with a stack trace', async () => {
    const noLab = await nslab(['verify', 'no-such-lab']);
    expect(noLab.code).toBe(1);
    expect(noLab.stderr).toContain('nslab: There is no lab "no-such-lab".');
    expect(noLab.stderr).not.toMatch(/\n\s+at /);
    const nothing = await nslab(['verify']);
    expect(nothing.stderr).toContain('Say which labs to verify: lab ids, --all, or --labs DIR.');
    const noTty = await nslab(['play']);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toContain('nslab needs an interactive terminal.');
  });

  it('--version and -V print the version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await nslab([flag]);
      expect(result.code, flag).toBe(0);
      expect(result.stdout).toBe(`${version}\n`);
    }
  });

  it('reports an unknown lab id before anything else: no terminal, no rootfs needed', async () => {
    const result = await nslab(['no-such-lab', '--rootfs', '/nonexistent/rootfs.tar']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('nslab: There is no lab "no-such-lab".');
    expect(result.stderr).not.toContain('Cannot import');
    expect(result.stderr).not.toContain('interactive terminal');
  });

  it('honours --rootfs after the subcommand (verify), and before it', async () => {
    for (const args of [['verify', 'pivot-root', '--rootfs', '/nonexistent/rootfs.tar'], ['--rootfs', '/nonexistent/rootfs.tar', 'verify', 'pivot-root']]) {
      const result = await nslab(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toContain('Cannot import /nonexistent/rootfs.tar: no such file or directory');
    }
  });

  it('refuses TERM=dumb with the reason and what works instead', async () => {
    const result = await nslab(['play'], { TERM: 'dumb' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TERM=dumb: it cannot move the cursor');
    expect(result.stderr).toContain('`nslab list`');
  });

  it('names a missing prerequisite with the same sentence for every command that needs it', async () => {
    // A PATH without util-linux: unshare, nsenter and setpriv cannot be found.
    const env = { PATH: '/nonexistent' };
    for (const args of [['verify', 'pivot-root'], ['play'], ['pivot-root']]) {
      const result = await nslab(args, env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr).toMatch(/^nslab: cannot start: .*unshare.* is missing/m);
      expect(result.stderr).toContain('nslab doctor');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    const doctor = await nslab(['doctor'], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/unshare.*missing/i);
  });

  it('doctor: everything required is there on this machine', async () => {
    const { code, stdout } = await nslab(['doctor']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/user namespaces/i);
  });
});
