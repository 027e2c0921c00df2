/**
 * `nslab doctor`: what nslab needs from this machine, checked for real and fast (the probes run
 * in parallel; the whole report takes a few tens of milliseconds).
 *
 * Each item says what was found and, when it is missing, the command that fixes it on a Debian
 * family system. `required: false` items only disable one lab (ping: the veth lab; cc: the
 * chroot-escape lab's escape program, and nslab's own ping on a machine without iputils ping).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { platform, release } from 'node:os';
import { join } from 'node:path';
import { PrerequisiteError } from './errors.ts';
import { NS_TYPES, readNamespaces } from './kernel/namespaces.ts';
import { labIdentity } from './world/identity.ts';
import { currentLimits, formatBytes, limitsPlan, type LimitsPlan, type WorldLimits } from './world/limits.ts';
import { unmet } from './labs/requirements.ts';
import { MIN_COLUMNS, MIN_ROWS } from './layout.ts';
import { PING_DESCRIPTION } from './rootfs/build.ts';

export interface Prerequisite {
  id: string;
  title: string;
  ok: boolean;
  /** What is there: a path and version, a measured value, or why it is missing. */
  found: string;
  /** The command or action that fixes it (only when !ok). May span several lines. */
  fix?: string;
  /** false: nslab starts without it; only some labs need it. */
  required: boolean;
}

export interface DoctorOptions {
  /** The size of the terminal nslab would draw in; the terminal item is only checked when given. */
  terminal?: { columns: number; rows: number };
  /**
   * The complete colon-separated list of directories to search for tools. Default: $PATH plus
   * /usr/sbin and /sbin (where Debian keeps pivot_root and ip, often off an ordinary PATH).
   */
  path?: string;
  /** Where the sysctls are read from when user namespaces fail. Default /proc/sys. */
  sysctlDir?: string;
  /** Upper bound for each probe, ms. Default 3000. */
  timeoutMs?: number;
}

// The size two panes need side by side comes from the layout.
export { MIN_COLUMNS, MIN_ROWS };

const UTIL_LINUX_FIX = 'sudo apt-get install util-linux mount';

interface ToolSpec {
  id: string;
  command: string;
  title: string;
  versionArgs: string[];
  /** The version output must match, or the tool is some other implementation (BusyBox...). */
  expect: RegExp;
  /** A short form of the version for `found`. */
  version: (output: string) => string;
  fix: string;
  required: boolean;
  /** Shown when it is missing and not required. */
  neededFor?: string;
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();
const utilLinux = (command: string): ToolSpec => ({
  id: command,
  command,
  title: `${command} (util-linux)`,
  versionArgs: ['--version'],
  expect: /util-linux/,
  version: (out) => /util-linux[ -]?([\d.]+)/.exec(out)?.[0] ?? firstLine(out),
  fix: UTIL_LINUX_FIX,
  required: true,
});

const TOOLS: ToolSpec[] = [
  utilLinux('unshare'),
  utilLinux('nsenter'),
  utilLinux('setpriv'),
  utilLinux('pivot_root'),
  utilLinux('mount'),
  {
    id: 'ip',
    command: 'ip',
    title: 'ip (iproute2)',
    versionArgs: ['-V'],
    expect: /iproute2/,
    version: (out) => /iproute2-[\w.]+/.exec(out)?.[0] ?? firstLine(out),
    fix: 'sudo apt-get install iproute2',
    required: true,
  },
  {
    id: 'ping',
    command: 'ping',
    title: 'ping (iputils-ping)',
    versionArgs: ['-V'],
    expect: /./,
    version: firstLine,
    fix: 'sudo apt-get install gcc (nslab then builds its own ping), or sudo apt-get install iputils-ping',
    required: false,
    neededFor: 'the veth lab',
  },
  {
    id: 'tar',
    command: 'tar',
    title: 'GNU tar',
    versionArgs: ['--version'],
    expect: /GNU tar/,
    version: firstLine,
    fix: 'sudo apt-get install tar',
    required: true,
  },
  {
    id: 'cc',
    command: 'cc',
    title: 'C compiler (cc)',
    versionArgs: ['--version'],
    expect: /./,
    version: firstLine,
    fix: 'sudo apt-get install gcc',
    required: false,
    // Without nslab-init, level 1 of each lab world stays dumpable (assets/world/nslab-init.c).
    neededFor: "the chroot-escape lab's escape program and nslab-init, which keeps level 1 of the lab world out of the lab's reach",
  },
];

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd: '/', timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      const code = typeof e.code === 'number' ? e.code : null;
      const error = e.killed ? `timed out after ${timeoutMs} ms` : typeof e.code === 'string' ? e.code : undefined;
      resolve({ code, stdout, stderr, error });
    });
  });
}

/**
 * The probes of one checkPrerequisites, run through one shell, one after the other. Each
 * spawn from nslab's own process costs its only thread 3-4 ms (fork(2) of a process of Node's
 * size, three pipes, their handles), and every lab's start runs this check: nine spawns were
 * ~30 ms of it (measured with --cpu-prof). The shell's own forks are cheap. Each probe gets the same program, arguments, environment and
 * directory as alone, and an exit status of its own is its result as alone. Where the shell
 * speaks for it instead (126 and 127: it could not be executed; 128 and up: a signal, POSIX
 * sh "Exit Status"), it runs again alone with `run`, and so does every probe when the shell's
 * answer is not what it should be: such a failure reads as it always has (the errno, the
 * timeout).
 *
 * Every check takes one ticket and either runs one probe with it or lets it go (`none`); the
 * shell starts once every ticket has been used.
 */
class ProbeBatch {
  private readonly probes: Array<{ argv: readonly string[]; resolve: (r: RunResult) => void }> = [];
  private open: number;

  constructor(
    tickets: number,
    private readonly env: NodeJS.ProcessEnv,
    private readonly timeoutMs: number,
    /** nice(1), found where `true` is looked for (checkUserNamespaces); null: none. */
    private readonly nice: Promise<string | null>,
  ) {
    this.open = tickets;
  }

  ticket(): { run: RunProbe; none: () => void } {
    let used = false;
    const use = () => {
      if (used) throw new Error('ProbeBatch: a ticket is used once');
      used = true;
      if (--this.open === 0) void this.start();
    };
    return {
      run: (argv) =>
        new Promise((resolve) => {
          this.probes.push({ argv, resolve });
          use();
        }),
      none: () => {
        if (!used) use();
      },
    };
  }

  private async start(): Promise<void> {
    const probes = this.probes.splice(0);
    if (probes.length === 0) return;
    const solo = (argv: readonly string[]) => run(argv[0]!, argv.slice(1), this.env, this.timeoutMs);
    const batched = probes.length > 1 ? await this.runInShell(probes.map((p) => p.argv)) : null;
    const own = (r: RunResult | undefined): r is RunResult => r?.code !== null && r?.code !== undefined && r.code < 126;
    await Promise.all(probes.map(async (probe, i) => probe.resolve(own(batched?.[i]) ? batched![i]! : await solo(probe.argv))));
  }

  /** Each probe's result from one `sh -c`, or null when the shell's answer cannot be read. */
  private async runInShell(argvs: ReadonlyArray<readonly string[]>): Promise<RunResult[] | null> {
    // A mark ends each probe's stdout, then its exit status, and its stderr: U+001E (record
    // separator) and a number no probe can know, so that no output is taken for a mark.
    const mark = `\x1e${randomBytes(8).toString('hex')}`;
    const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
    const script = argvs.map((argv) => `${argv.map(quote).join(' ')}; printf '${mark}%s${mark}' "$?"; printf '${mark}' >&2`).join('\n');
    // At the lowest priority (through nice(1), so from its first probe on): a lab's start runs
    // this beside its world's boot, which it would otherwise share the second core with (the
    // boot waits for no probe). The probes' output does not depend on it.
    const nice = await this.nice;
    const shell = ['/bin/sh', '-c', script];
    const argv = nice ? [nice, '-n', '19', ...shell] : shell;
    const r = await run(argv[0]!, argv.slice(1), this.env, this.timeoutMs);
    if (r.code !== 0) return null;
    const out = r.stdout.split(mark);
    const err = r.stderr.split(mark);
    if (out.length !== 2 * argvs.length + 1 || err.length !== argvs.length + 1) return null;
    return argvs.map((_, i) => ({ code: /^\d+$/.test(out[2 * i + 1]!) ? Number(out[2 * i + 1]) : null, stdout: out[2 * i]!, stderr: err[i]! }));
  }
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return false;
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` in `dirs`, or null. */
async function which(name: string, dirs: readonly string[]): Promise<string | null> {
  const candidates = dirs.map((d) => join(d || '.', name));
  const results = await Promise.all(candidates.map(isExecutableFile));
  const index = results.indexOf(true);
  return index < 0 ? null : candidates[index]!;
}

function searchDirs(opts: DoctorOptions): { dirs: string[]; where: string } {
  if (opts.path !== undefined) return { dirs: opts.path.split(':').filter(Boolean), where: `in ${opts.path}` };
  const dirs = [...(process.env['PATH'] ?? '').split(':').filter(Boolean)];
  for (const extra of ['/usr/sbin', '/sbin']) if (!dirs.includes(extra)) dirs.push(extra);
  return { dirs, where: 'on PATH or in /usr/sbin, /sbin' };
}

function checkKernel(): Prerequisite {
  const title = 'Linux kernel with namespaces';
  const fix = 'nslab needs Linux 4.6 or later with user, mount, pid, net, uts, ipc and cgroup namespaces enabled.';
  if (platform() !== 'linux') return { id: 'kernel', title, ok: false, found: `${platform()} ${release()}`, fix, required: true };
  const ns = readNamespaces(process.pid);
  const missing = NS_TYPES.filter((t) => !ns?.[t]);
  if (missing.length > 0) {
    return { id: 'kernel', title, ok: false, found: `Linux ${release()}, no ${missing.join(', ')} namespace`, fix, required: true };
  }
  return { id: 'kernel', title, ok: true, found: `Linux ${release()}, namespaces ${NS_TYPES.join(' ')}`, required: true };
}

type RunProbe = (argv: readonly string[]) => Promise<RunResult>;

/** `check` with a ticket of `probes`, let go of however the check ends. */
async function withTicket<T>(probes: ProbeBatch, check: (runProbe: RunProbe) => Promise<T>): Promise<T> {
  const ticket = probes.ticket();
  try {
    return await check(ticket.run);
  } finally {
    ticket.none();
  }
}

async function checkTool(spec: ToolSpec, dirs: string[], where: string, runProbe: RunProbe): Promise<Prerequisite> {
  const title = spec.title;
  const base = { id: spec.id, title, required: spec.required };
  const optional = spec.neededFor ? ` (only ${spec.neededFor} needs it)` : '';
  const path = await which(spec.command, dirs);
  if (!path) return { ...base, ok: false, found: `not found ${where}${optional}`, fix: spec.fix };
  const r = await runProbe([path, ...spec.versionArgs]);
  const output = `${r.stdout}\n${r.stderr}`.trim();
  if (r.code !== 0 || !spec.expect.test(output)) {
    const what = output ? firstLine(output) : (r.error ?? `exit code ${r.code}`);
    return { ...base, ok: false, found: `${path} is not the expected tool (${what})`, fix: spec.fix };
  }
  return { ...base, ok: true, found: `${path}, ${spec.version(output)}` };
}

async function readSysctl(dir: string, name: string): Promise<string | null> {
  try {
    return (await readFile(join(dir, ...name.split('.')), 'utf8')).trim();
  } catch {
    return null;
  }
}

/** Why the kernel refuses user namespaces, from the sysctls known to forbid them. */
async function userNamespaceBlockers(sysctlDir: string): Promise<{ found: string[]; fixes: string[] }> {
  const [clone, max, apparmor] = await Promise.all([
    readSysctl(sysctlDir, 'kernel.unprivileged_userns_clone'),
    readSysctl(sysctlDir, 'user.max_user_namespaces'),
    readSysctl(sysctlDir, 'kernel.apparmor_restrict_unprivileged_userns'),
  ]);
  const found: string[] = [];
  const fixes: string[] = [];
  if (clone === '0') {
    // Debian's and Arch's patch: 0 forbids user namespaces to every uid but root.
    found.push('kernel.unprivileged_userns_clone = 0');
    fixes.push('sudo sysctl -w kernel.unprivileged_userns_clone=1');
  }
  if (max === '0') {
    found.push('user.max_user_namespaces = 0');
    fixes.push('sudo sysctl -w user.max_user_namespaces=15000');
  }
  if (apparmor === '1') {
    found.push('kernel.apparmor_restrict_unprivileged_userns = 1');
    fixes.push(
      'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0\n' +
        'Warning: this lets every program of every user create user namespaces again, a protection\n' +
        'Ubuntu turned on to shrink the kernel attack surface. Set it back to 1 when you are done.',
    );
  }
  return { found, fixes };
}

async function checkUserNamespaces(dirs: string[], runProbe: RunProbe, sysctlDir: string): Promise<Prerequisite> {
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? labIdentity(0).uid : (process.getuid?.() ?? -1);
  const title = asRoot ? `user namespaces for uid ${uid}` : 'user namespaces';
  const base = { id: 'userns', title, required: true };
  const [unshare, setpriv, trueBin] = await Promise.all([
    which('unshare', dirs),
    which('setpriv', dirs),
    which('true', [...dirs, '/usr/bin', '/bin']),
  ]);
  if (!unshare || (asRoot && !setpriv) || !trueBin) {
    const tool = !unshare ? 'unshare' : !trueBin ? 'true' : 'setpriv';
    return { ...base, ok: false, found: `cannot check: ${tool} is missing`, fix: UTIL_LINUX_FIX };
  }
  // Exactly what the lab does: as root, drop to the lab uid first (see world/identity.ts).
  const probe = [unshare, '--user', '--map-root-user', '--mount', '--pid', '--fork', trueBin];
  const argv = asRoot ? [setpriv!, '--reuid', String(uid), '--regid', String(uid), '--clear-groups', ...probe] : probe;
  const r = await runProbe(argv);
  const shown = `${asRoot ? `setpriv --reuid ${uid} ... ` : ''}unshare --user --map-root-user --mount --pid --fork true`;
  if (r.code === 0) return { ...base, ok: true, found: `${shown}: works` };

  const why = firstLine(r.stderr.trim().split('\n').at(-1) ?? '') || r.error || `exit code ${r.code}`;
  const blockers = await userNamespaceBlockers(sysctlDir);
  const found = [why, ...blockers.found].join('; ');
  const fix =
    blockers.fixes.length > 0
      ? blockers.fixes.join('\n')
      : 'Something other than the usual sysctls forbids user namespaces here (a container runtime\'s\n' +
        'seccomp profile, an LSM policy?). Run nslab where `unshare --user --map-root-user true` works,\n' +
        'e.g. directly on a Linux machine or VM.';
  return { ...base, ok: false, found, fix };
}

/**
 * The limits section: the mechanism in force and the limits each lab world gets (the flags
 * --tasks, --memory and --cpus change them). Only the rlimit floor counts as missing: it leaves
 * tmpfs and the total memory of a world unlimited.
 */
export function checkLimits(limits: WorldLimits = currentLimits(), plan: LimitsPlan = limitsPlan()): Prerequisite {
  const values = `${limits.tasks} tasks, ${formatBytes(limits.memoryBytes)} memory, ${limits.cpus} CPUs`;
  const base = { id: 'limits', title: 'limits on each lab world', required: false };
  if (plan.mechanism === 'rlimit') {
    return {
      ...base,
      ok: false,
      found: `rlimit floor only (${values}): tasks ${plan.enforced.tasks}; memory ${plan.enforced.memory}; tmpfs ${plan.enforced.tmpfs} (${plan.why})`,
      fix: 'Start nslab as root (sudo nslab) on a machine with cgroup v2, or cgroup v1 pids and memory hierarchies, mounted.',
    };
  }
  const controllers = [...plan.parents.keys()].join(', ');
  return { ...base, ok: true, found: `${plan.mechanism} (${controllers}): ${values}; ${plan.enforced.tmpfs}; cpu: ${plan.enforced.cpu}` };
}

/** The cgroups lab and others that `requires: [cgroup]`: can a cgroup be delegated to the lab? */
export function checkCgroupDelegation(): Prerequisite {
  const base = { id: 'cgroup-delegation', title: 'a cgroup delegated to the lab (labs that require: [cgroup])', required: false };
  const [u] = unmet(['cgroup']);
  if (u) return { ...base, ok: false, found: `those labs are unavailable: ${u.reason}`, fix: `To enable them, ${u.enable}.` };
  return { ...base, ok: true, found: `${limitsPlan().mechanism}: each lab world gives the lab /lab in its pids and memory cgroups, owned by the lab's root` };
}

function checkTerminal(terminal: { columns: number; rows: number }): Prerequisite {
  const ok = terminal.columns >= MIN_COLUMNS && terminal.rows >= MIN_ROWS;
  return {
    id: 'terminal',
    title: `a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS}`,
    ok,
    found: `${terminal.columns}x${terminal.rows}`,
    ...(ok ? {} : { fix: 'enlarge the window or reduce the font size' }),
    required: true,
  };
}

export async function checkPrerequisites(opts: DoctorOptions = {}): Promise<Prerequisite[]> {
  const { dirs, where } = searchDirs(opts);
  const timeoutMs = opts.timeoutMs ?? 3000;
  // C messages, and the same search path for anything the probes exec.
  const env: NodeJS.ProcessEnv = { PATH: dirs.join(':'), LC_ALL: 'C' };
  const probes = new ProbeBatch(1 + TOOLS.length, env, timeoutMs, which('nice', [...dirs, '/usr/bin', '/bin']));
  const [userns, ...tools] = await Promise.all([
    withTicket(probes, (runProbe) => checkUserNamespaces(dirs, runProbe, opts.sysctlDir ?? '/proc/sys')),
    ...TOOLS.map((t) => withTicket(probes, (runProbe) => checkTool(t, dirs, where, runProbe))),
  ]);
  const list = [checkKernel(), userns!, ...tools.map((t) => (t.id === 'ping' ? whichPing(t, tools) : t)), checkLimits(), checkCgroupDelegation()];
  if (opts.terminal) list.push(checkTerminal(opts.terminal));
  return list;
}

/**
 * Which ping the labs use: the machine's (copied into the container), or, where there is none,
 * nslab's own, which the rootfs build compiles from assets/ping.c when there is a C compiler
 * (src/rootfs/build.ts).
 */
function whichPing(ping: Prerequisite, tools: readonly Prerequisite[]): Prerequisite {
  if (ping.ok) return { ...ping, found: `${ping.found}; the labs use this machine's ping` };
  const cc = tools.find((t) => t.id === 'cc');
  if (!cc?.ok) return { ...ping, found: `${ping.found}, and no C compiler to build nslab's own` };
  const { fix: _unused, ...rest } = ping;
  return { ...rest, ok: true, found: `no iputils ping here; the labs use nslab's own, built with cc from ${PING_DESCRIPTION}` };
}

export function formatReport(list: readonly Prerequisite[]): string {
  const titleWidth = Math.max(...list.map((p) => p.title.length + (p.required ? 0 : ', optional'.length)));
  const lines: string[] = [];
  for (const p of list) {
    const title = p.required ? p.title : `${p.title}, optional`;
    lines.push(`${(p.ok ? 'ok' : 'missing').padEnd(8)} ${title.padEnd(titleWidth)}  ${p.found}`);
    if (!p.ok && p.fix) {
      const [first, ...rest] = p.fix.split('\n');
      lines.push(`${' '.repeat(9)}fix: ${first}`);
      for (const more of rest) lines.push(`${' '.repeat(14)}${more}`);
    }
  }
  const missingRequired = list.filter((p) => p.required && !p.ok).length;
  const missingOptional = list.filter((p) => !p.required && !p.ok).length;
  lines.push('');
  if (missingRequired > 0) {
    lines.push(`${missingRequired} required prerequisite${missingRequired === 1 ? ' is' : 's are'} missing: nslab cannot start.`);
  } else {
    lines.push(
      missingOptional > 0
        ? `nslab can start; ${missingOptional} optional prerequisite${missingOptional === 1 ? ' is' : 's are'} missing (some labs will be unavailable).`
        : 'Everything nslab needs is here.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Throws a PrerequisiteError naming every missing required prerequisite. */
export async function assertPrerequisites(opts: DoctorOptions = {}): Promise<void> {
  const missing = (await checkPrerequisites(opts)).filter((p) => p.required && !p.ok);
  if (missing.length === 0) return;
  const clauses = missing.map((p) => `${p.title} is missing (${p.found})`);
  throw new PrerequisiteError(`cannot start: ${clauses.join('; ')}.`, 'Run `nslab doctor` for the fix.');
}
