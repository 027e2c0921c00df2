/**
 * `requires: [cgroup]` on a machine that cannot delegate a cgroup: nslab run by an ordinary user
 * (uid 65534) gets only the rlimit floor, so the cgroups lab must be listed as unavailable with
 * the reason and what would enable it, skipped by verify (neither run nor passed), refused by
 * Stage.open in words, and named by doctor. As root here, the lab itself is proven by
 * test/labs/verify.test.ts.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NOBODY, runAsNobody } from '../support/nobody.ts';

const run = promisify(execFile);
const asRoot = process.getuid?.() === 0;

async function nslabAsNobody(args: string[]): Promise<string> {
  const { stdout } = await run('setpriv', ['--reuid', String(NOBODY), '--regid', String(NOBODY), '--clear-groups', '--', process.execPath, 'bin/nslab.js', ...args], {
    env: { ...process.env, HOME: '/nonexistent', XDG_STATE_HOME: '/tmp', XDG_CACHE_HOME: '/tmp' },
  }).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  return stdout;
}

describe.skipIf(!asRoot)('a lab whose requirement the machine lacks', () => {
  it('is listed as unavailable with the reason and what would enable it', async () => {
    const rows = JSON.parse(await nslabAsNobody(['list', '--json'])) as { id: string; unavailable?: string }[];
    const cgroups = rows.find((r) => r.id === 'cgroups');
    expect(cgroups?.unavailable).toMatch(/cannot be delegated.*not started by root.*to enable it, start nslab as root/);
    expect(rows.find((r) => r.id === 'pivot-root')?.unavailable).toBeUndefined();
  });

  it('is skipped by verify, never run or passed, and refused by Stage.open in words', async () => {
    const out = JSON.parse(await runAsNobody('test/support/unavailable-lab.ts', 120_000)) as {
      document: { labs: { id: string; unavailable?: string; steps: unknown[] }[] };
      text: string;
      refused: string;
      capstone: { document: { ok: boolean; labs: { steps: { phases: { phase: string; name?: string; ok: boolean; skipped?: string; checks: { id: string; code: string }[] }[] }[] }[] }; text: string };
    };
    expect(out.document.labs[0]!.unavailable).toMatch(/cannot be delegated/);
    expect(out.document.labs[0]!.steps).toEqual([]);
    expect(out.text).toMatch(/^skip cgroups: unavailable: /);
    expect(out.refused).toMatch(/This lab is unavailable here: .*To enable it, start nslab as root/);
    // A lab with one check that requires a cgroup runs: that check is skipped, its wrong attempts
    // proved nothing and say so, and every other check is proven as on any machine.
    const capstone = out.capstone.document;
    expect(capstone.ok, out.capstone.text).toBe(true);
    const phases = capstone.labs[0]!.steps[0]!.phases;
    const limitsOf = (p: (typeof phases)[number]) => p.checks.find((c) => c.id === 'limits')!.code;
    expect(phases.map(limitsOf)).toEqual(phases.map(() => 'skipped'));
    expect(phases.filter((p) => p.skipped).map((p) => p.name)).toEqual(['no limits', 'moved into cgroups, but no memory limit written']);
    expect(phases.find((p) => p.phase === 'solution')!.checks.filter((c) => c.code !== 'pass').map((c) => c.id)).toEqual(['limits']);
    expect(out.capstone.text).toMatch(/^  skip own-container \/ wrong attempt "no limits": not checked: a cgroup cannot be delegated/m);
  }, 150_000);

  it('is named by doctor', async () => {
    const out = await nslabAsNobody(['doctor']);
    expect(out).toMatch(/a cgroup delegated to the lab.*those labs are unavailable/);
  });
});
