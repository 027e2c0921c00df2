/**
 * `nslab doctor` on this machine, and on machines made to look broken: a PATH without the tools,
 * an `unshare` that fails the way a kernel forbidding user namespaces makes it fail (with the
 * sysctls read from a fixture directory), a BusyBox-like impostor, a small terminal.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  assertPrerequisites,
  checkLimits,
  checkPrerequisites,
  formatReport,
  MIN_COLUMNS,
  MIN_ROWS,
  type Prerequisite,
} from '../src/doctor.ts';
import { PrerequisiteError } from '../src/errors.ts';
import { labIdentity } from '../src/world/identity.ts';
import { limitsPlan, rlimitPlan } from '../src/world/limits.ts';

const REAL_PATH = `${process.env['PATH'] ?? ''}:/usr/sbin:/sbin`;
const TOOL_IDS = ['unshare', 'nsenter', 'setpriv', 'pivot_root', 'mount', 'ip', 'ping', 'tar', 'cc'];
const IDS = ['kernel', 'userns', ...TOOL_IDS, 'limits', 'cgroup-delegation'];
const REQUIRED = new Set(['kernel', 'userns', 'unshare', 'nsenter', 'setpriv', 'pivot_root', 'mount', 'ip', 'tar', 'terminal']);
const asRoot = process.getuid?.() === 0;
const HINT = 'Run `nslab doctor` for the fix.';
const LAB_UID = labIdentity(0).uid;
const USERNS_TITLE = asRoot ? `user namespaces for uid ${LAB_UID}` : 'user namespaces';

/** `command -v`, independently of the code under test. */
function commandV(name: string, path = REAL_PATH): string | null {
  const r = spawnSync('/bin/sh', ['-c', `command -v ${name}`], { env: { PATH: path }, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

const byId = (list: Prerequisite[]) => new Map(list.map((p) => [p.id, p]));

const dirs: string[] = [];
/** A directory the lab uid can traverse (the user-namespace probe runs as that uid under root). */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A bin directory with links to the real tools, minus `omit`, plus fake scripts. */
function binDir(omit: string[], fakes: Record<string, string> = {}): string {
  const dir = tempDir('nslab-doctor-bin-');
  for (const name of TOOL_IDS) {
    if (omit.includes(name) || name in fakes) continue;
    const real = commandV(name);
    if (real?.startsWith('/')) symlinkSync(real, join(dir, name));
  }
  for (const [name, script] of Object.entries(fakes)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  }
  return dir;
}

const FAILING_UNSHARE = [
  'if [ "$1" = --version ]; then echo "unshare from util-linux 2.38.1"; exit 0; fi',
  // Who ran it, with what: the probe must be exactly what the lab runs.
  'echo "$(/usr/bin/id -u) $*" >> "${0%/*}/probe.log"',
  'echo "unshare: unshare failed: Operation not permitted" >&2',
  'exit 1',
].join('\n');

function sysctlDir(values: Record<string, string>): string {
  const dir = tempDir('nslab-doctor-sysctl-');
  for (const [name, value] of Object.entries(values)) {
    const parts = name.split('.');
    mkdirSync(join(dir, ...parts.slice(0, -1)), { recursive: true });
    writeFileSync(join(dir, ...parts), `${value}\n`);
  }
  return dir;
}

describe('doctor on this machine', () => {
  // How long it takes is measured by `npm run bench`, not asserted here.
  it('finds every required prerequisite', async () => {
    const list = await checkPrerequisites();

    expect(list.map((p) => p.id)).toEqual(IDS);
    for (const p of list) expect(p.required, p.id).toBe(REQUIRED.has(p.id));
    const missingRequired = list.filter((p) => p.required && !p.ok);
    expect(missingRequired).toEqual([]);
    for (const p of list.filter((q) => q.ok)) expect(p.fix, p.id).toBeUndefined();

    const items = byId(list);
    expect(items.get('userns')!.title).toBe(USERNS_TITLE);
    expect(items.get('userns')!.found).toMatch(/unshare --user --map-root-user --mount --pid --fork true: works$/);
    expect(items.get('kernel')!.found).toMatch(/^Linux \d+\.\d+.*mnt pid net uts ipc user cgroup$/);
    // Each tool is where `command -v` finds it, or reported missing with the fix.
    for (const id of TOOL_IDS) {
      const p = items.get(id)!;
      const where = commandV(id);
      if (id === 'ping' && where === null && commandV('cc') !== null) {
        // No iputils ping: nslab's own is used, and doctor says so.
        expect(p).toMatchObject({ ok: true, found: expect.stringMatching(/^no iputils ping here; the labs use nslab's own, built with cc from assets\/ping\.c/) });
        continue;
      }
      expect(p.ok, id).toBe(where !== null);
      if (where) expect(p.found.startsWith(`${where}, `), `${id}: ${p.found}`).toBe(true);
      else expect(p.fix, id).toMatch(/^sudo apt-get install /);
    }
    expect(items.get('unshare')!.found).toMatch(/util-linux \d+\.\d+/);
    expect(items.get('tar')!.found).toMatch(/GNU tar/);
    await expect(assertPrerequisites()).resolves.toBeUndefined();
  });
});

describe('formatReport', () => {
  const list: Prerequisite[] = [
    { id: 'kernel', title: 'Linux kernel', ok: true, found: 'Linux 6.1', required: true },
    { id: 'ip', title: 'ip (iproute2)', ok: false, found: 'not found', fix: 'sudo apt-get install iproute2', required: true },
    { id: 'ping', title: 'ping', ok: false, found: 'not found', fix: 'sudo apt-get install iputils-ping', required: false },
    { id: 'x', title: 'x', ok: false, found: 'x = 1', fix: 'first line\nsecond line', required: true },
  ];

  it('one line per item with ok/missing, the fix under it', () => {
    expect(formatReport(list)).toBe(
      [
        'ok       Linux kernel    Linux 6.1',
        'missing  ip (iproute2)   not found',
        '         fix: sudo apt-get install iproute2',
        'missing  ping, optional  not found',
        '         fix: sudo apt-get install iputils-ping',
        'missing  x               x = 1',
        '         fix: first line',
        '              second line',
        '',
        '2 required prerequisites are missing: nslab cannot start.',
        '',
      ].join('\n'),
    );
  });

  it('says whether nslab can start', () => {
    expect(formatReport(list.slice(0, 1))).toMatch(/\nEverything nslab needs is here\.\n$/);
    expect(formatReport([list[0]!, list[2]!])).toMatch(/\nnslab can start; 1 optional prerequisite is missing/);
    expect(formatReport(list.slice(0, 2))).toMatch(/\n1 required prerequisite is missing: nslab cannot start\.\n$/);
  });
});

describe('doctor on a machine without the tools', () => {
  it('reports every tool missing with its fix', async () => {
    const empty = tempDir('nslab-doctor-empty-');
    const items = byId(await checkPrerequisites({ path: empty }));
    expect(items.get('kernel')!.ok).toBe(true);
    for (const id of TOOL_IDS) {
      const p = items.get(id)!;
      expect(p.ok, id).toBe(false);
      expect(p.found, id).toMatch(new RegExp(`^not found in ${empty}`));
    }
    expect(items.get('unshare')!.fix).toBe('sudo apt-get install util-linux mount');
    expect(items.get('pivot_root')!.fix).toBe('sudo apt-get install util-linux mount');
    expect(items.get('ip')!.fix).toBe('sudo apt-get install iproute2');
    expect(items.get('ping')!.fix).toBe('sudo apt-get install gcc (nslab then builds its own ping), or sudo apt-get install iputils-ping');
    expect(items.get('ping')!.found).toMatch(/only the veth lab needs it\), and no C compiler to build nslab's own$/);
    expect(items.get('tar')!.fix).toBe('sudo apt-get install tar');
    expect(items.get('userns')).toMatchObject({ ok: false, found: 'cannot check: unshare is missing' });
    const report = formatReport([...items.values()]);
    expect(report).toMatch(/^missing  ip \(iproute2\) +not found in .*\n +fix: sudo apt-get install iproute2$/m);
  });

  it('assertPrerequisites names every missing required prerequisite', async () => {
    const empty = tempDir('nslab-doctor-empty-');
    const err = await assertPrerequisites({ path: empty }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    const { message, hint } = err as PrerequisiteError;
    expect(message).toMatch(/^cannot start: /);
    expect(message).toContain(`${USERNS_TITLE} is missing (cannot check: unshare is missing)`);
    for (const title of ['unshare (util-linux)', 'nsenter (util-linux)', 'setpriv (util-linux)', 'pivot_root (util-linux)', 'mount (util-linux)', 'ip (iproute2)', 'GNU tar']) {
      expect(message).toContain(`${title} is missing (not found in ${empty})`);
    }
    // Optional ones do not stop nslab.
    expect(message).not.toContain('ping');
    expect(message).not.toContain('C compiler');
    expect(hint).toBe(HINT);
  });

  it('one missing tool gives exactly one sentence', async () => {
    const bin = binDir(['ip', 'ping', 'cc']);
    const list = await checkPrerequisites({ path: bin });
    expect(list.filter((p) => !p.ok).map((p) => p.id)).toEqual(['ip', 'ping', 'cc']);
    await expect(assertPrerequisites({ path: bin })).rejects.toThrow(
      new PrerequisiteError(`cannot start: ip (iproute2) is missing (not found in ${bin}).`, HINT),
    );
  });

  it('which ping: the machine\'s when there is one, else nslab\'s own when cc can build it', async () => {
    const withPing = binDir([], { ping: 'echo "ping from iputils 20221126"', cc: 'echo "cc (Debian 12.2.0-14) 12.2.0"' });
    expect(byId(await checkPrerequisites({ path: withPing })).get('ping')).toMatchObject({
      ok: true,
      found: `${withPing}/ping, ping from iputils 20221126; the labs use this machine's ping`,
    });
    const ccOnly = binDir(['ping'], { cc: 'echo "cc (Debian 12.2.0-14) 12.2.0"' });
    const own = byId(await checkPrerequisites({ path: ccOnly })).get('ping')!;
    expect(own).toMatchObject({ ok: true, found: expect.stringContaining("the labs use nslab's own, built with cc from assets/ping.c") });
    expect(own.fix).toBeUndefined();
  });

  it('a tool that is not the expected implementation is reported', async () => {
    const bin = binDir([], { mount: 'echo "BusyBox v1.36.1 (2023-01-01) multi-call binary."' });
    const mount = byId(await checkPrerequisites({ path: bin })).get('mount')!;
    expect(mount).toMatchObject({ ok: false, found: `${bin}/mount is not the expected tool (BusyBox v1.36.1 (2023-01-01) multi-call binary.)` });
    expect(mount.fix).toBe('sudo apt-get install util-linux mount');
  });
});

describe('doctor: the probes, run through one shell', () => {
  it('runs every probe in the same shell, whatever a probe prints', async () => {
    // Each fake says which process ran it, at which niceness (the shell's, which a lab's start
    // lowers: the world boots beside it); ip also prints the bytes the shell's marks start with.
    // (proc(5): nice is the 19th field of /proc/<pid>/stat, the 17th after "(comm) ".)
    const log = `read -r stat </proc/$$/stat; set -- \${stat##*) }; echo "$PPID \${17}" >>"\${0%/*}/parents.log"`;
    const said = (version: string) => `${log}; echo "${version}"`;
    const bin = binDir([], {
      ip: `${log}; printf 'ip utility, iproute2-6.1.0\\036\\036\\0360\\036\\n'`,
      ping: said('ping from iputils 20221126'),
      tar: said('tar (GNU tar) 1.34'),
      cc: said('cc (Debian 12.2.0-14) 12.2.0'),
      mount: said('mount from util-linux 2.38.1'),
    });
    const items = byId(await checkPrerequisites({ path: bin }));
    expect(items.get('ip')).toMatchObject({ ok: true, found: `${bin}/ip, iproute2-6.1.0` });
    for (const id of ['ping', 'tar', 'cc', 'mount', 'nsenter', 'userns']) expect(items.get(id)?.ok).toBe(true);
    const parents = readFileSync(join(bin, 'parents.log'), 'utf8').trim().split('\n');
    expect(parents).toHaveLength(5);
    expect(new Set(parents).size).toBe(1);
    const [parent, niceness] = parents[0]!.split(' ');
    expect(Number(parent)).not.toBe(process.pid);
    expect(niceness).toBe('19');
  });

  it('gives a probe the shell could not execute, or that a signal ended, what it gets alone', async () => {
    // tar's interpreter does not exist (the shell answers 127, alone it is ENOENT); mount is
    // killed by a signal (the shell: 128 + 9); cc says what it was given.
    const bin = binDir(['tar'], {
      mount: 'echo "mount from util-linux 2.38.1"; kill -9 $$',
      cc: 'echo "cc $# $*"; echo "to stderr" >&2',
    });
    // A new file ('wx'), never through a link binDir made to a real tool.
    writeFileSync(join(bin, 'tar'), '#!/nonexistent/interpreter\n', { mode: 0o755, flag: 'wx' });
    const items = byId(await checkPrerequisites({ path: bin }));
    expect(items.get('tar')).toMatchObject({ ok: false, found: `${bin}/tar is not the expected tool (ENOENT)` });
    expect(items.get('mount')).toMatchObject({ ok: false, found: `${bin}/mount is not the expected tool (mount from util-linux 2.38.1)` });
    expect(items.get('cc')).toMatchObject({ ok: true, found: `${bin}/cc, cc 1 --version` });
    expect(items.get('nsenter')).toMatchObject({ ok: true, found: expect.stringMatching(/, util-linux [\d.]+$/) });
  });
});

describe('doctor when the kernel forbids user namespaces', () => {
  it('reads and reports the sysctls that forbid them, with the fixes', async () => {
    const bin = binDir([], { unshare: FAILING_UNSHARE });
    const sysctls = sysctlDir({
      'kernel.unprivileged_userns_clone': '0',
      'user.max_user_namespaces': '0',
      'kernel.apparmor_restrict_unprivileged_userns': '1',
    });
    const log = join(bin, 'probe.log');
    writeFileSync(log, '');
    chmodSync(log, 0o666);
    const userns = byId(await checkPrerequisites({ path: bin, sysctlDir: sysctls })).get('userns')!;
    // As root the probe first drops to the lab's uid, as the lab does.
    expect(readFileSync(log, 'utf8')).toMatch(
      new RegExp(`^${asRoot ? LAB_UID : process.getuid!()} --user --map-root-user --mount --pid --fork /\\S*/true\n$`),
    );
    expect(userns.ok).toBe(false);
    expect(userns.found).toBe(
      'unshare: unshare failed: Operation not permitted; kernel.unprivileged_userns_clone = 0; ' +
        'user.max_user_namespaces = 0; kernel.apparmor_restrict_unprivileged_userns = 1',
    );
    const fix = userns.fix!.split('\n');
    expect(fix).toContain('sudo sysctl -w kernel.unprivileged_userns_clone=1');
    expect(fix).toContain('sudo sysctl -w user.max_user_namespaces=15000');
    expect(fix).toContain('sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0');
    expect(userns.fix).toMatch(/Warning: .*every program/);

    await expect(assertPrerequisites({ path: bin, sysctlDir: sysctls })).rejects.toThrow(
      `cannot start: ${USERNS_TITLE} is missing (unshare: unshare failed: Operation not permitted; kernel.unprivileged_userns_clone = 0;`,
    );
  });

  it('only the sysctl that is set is blamed; none set gives the generic explanation', async () => {
    const bin = binDir([], { unshare: FAILING_UNSHARE });
    const apparmorOnly = sysctlDir({ 'user.max_user_namespaces': '63000', 'kernel.apparmor_restrict_unprivileged_userns': '1' });
    const a = byId(await checkPrerequisites({ path: bin, sysctlDir: apparmorOnly })).get('userns')!;
    expect(a.found).toBe('unshare: unshare failed: Operation not permitted; kernel.apparmor_restrict_unprivileged_userns = 1');
    expect(a.fix).toMatch(/^sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0\nWarning/);

    const allowed = sysctlDir({ 'kernel.unprivileged_userns_clone': '1', 'user.max_user_namespaces': '63000' });
    const b = byId(await checkPrerequisites({ path: bin, sysctlDir: allowed })).get('userns')!;
    expect(b.found).toBe('unshare: unshare failed: Operation not permitted');
    expect(b.fix).toMatch(/^Something other than the usual sysctls forbids user namespaces/);
  });
});

describe('doctor and the terminal size', () => {
  it('is checked only when a terminal is given', async () => {
    expect((await checkPrerequisites()).some((p) => p.id === 'terminal')).toBe(false);
    const ok = byId(await checkPrerequisites({ terminal: { columns: MIN_COLUMNS, rows: MIN_ROWS } })).get('terminal')!;
    expect(ok).toEqual({ id: 'terminal', title: 'a terminal of at least 100x24', ok: true, found: '100x24', required: true });
  });

  it('reports a terminal that is too narrow or too short', async () => {
    for (const [columns, rows] of [
      [99, 24],
      [100, 23],
      [80, 20],
    ] as const) {
      const t = byId(await checkPrerequisites({ terminal: { columns, rows } })).get('terminal')!;
      expect(t).toMatchObject({ ok: false, found: `${columns}x${rows}`, fix: 'enlarge the window or reduce the font size', required: true });
    }
    await expect(assertPrerequisites({ terminal: { columns: 80, rows: 20 } })).rejects.toThrow(
      new PrerequisiteError('cannot start: a terminal of at least 100x24 is missing (80x20).', HINT),
    );
  });
});

describe('doctor: the limits of each lab world', () => {
  const limits = { tasks: 300, memoryBytes: 2 * 1024 ** 3, cpus: 1.5 };

  it('shows the mechanism in force and the limits the flags set', () => {
    const plan = limitsPlan();
    const item = checkLimits(limits, plan);
    expect(item).toMatchObject({ id: 'limits', required: false, ok: plan.mechanism !== 'rlimit' });
    expect(item.found).toContain(plan.mechanism);
    expect(item.found).toContain('300 tasks, 2 GiB memory, 1.5 CPUs');
  });

  it('calls the rlimit floor missing, says what it leaves open and how to get more', () => {
    const item = checkLimits(limits, rlimitPlan('no cgroup here'));
    expect(item.ok).toBe(false);
    expect(item.found).toMatch(/^rlimit floor only \(300 tasks.*tmpfs .*not limited.*\(no cgroup here\)$/);
    expect(item.fix).toMatch(/as root/);
  });
});
