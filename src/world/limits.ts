/**
 * Limits on a lab world: processes and threads, memory (tmpfs files and swap included), CPU.
 * A fork bomb or a memory hog in a pane must leave the machine and nslab responsive, and the
 * student must be told, in words, which limit they met.
 *
 * The strongest mechanism the machine offers is used:
 *   cgroup2  started by root, a cgroup v2 hierarchy with the pids and memory controllers:
 *            a cgroup of the world's own under the hierarchy's root.
 *   cgroup1  started by root, cgroup v1 hierarchies for pids and memory (and cpu when mounted):
 *            a cgroup of the world's own below nslab's own cgroup in each.
 *   rlimit   everything else: RLIMIT_NPROC for the whole world (counted per user namespace,
 *            see assets/world/nslab-init.c), RLIMIT_AS per process, and nice 10.
 *
 * Every lab process gets into the world's cgroup the same way: the program nslab spawns for it
 * (the world's anchor, each pane, each check) first writes its own pid into the cgroup, then
 * execs; cgroup membership is inherited by fork (cgroups(7)), never by entering namespaces.
 *
 * The kernel does not remove a cgroup directory when its last process exits, so each world has
 * a reaper: a small shell, in its own session (no terminal signal reaches it), that waits for
 * EOF on a pipe from nslab and then removes the world's cgroups. The pipe closes when nslab
 * stops the world or when nslab dies for any reason, SIGKILL included. A world whose reaper
 * could not finish (the machine went down) is swept by the next nslab that starts a world: its
 * directory names carry the owner's pid and start time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { NslabError } from '../errors.ts';
import { parseMountinfo } from '../kernel/mountinfo.ts';
import { readStartTime } from '../kernel/proc.ts';

export interface WorldLimits {
  /** Processes and threads in the whole lab world. */
  readonly tasks: number;
  /** Memory of the whole world in bytes: processes, page cache and tmpfs files, and swap. */
  readonly memoryBytes: number;
  /** CPU time the world may use, in CPUs (1.5: one and a half cores' worth). */
  readonly cpus: number;
}

const GiB = 1024 ** 3;

/** Defaults that keep a 2-core, 4 GiB machine usable while a lab misbehaves. */
export const DEFAULT_LIMITS: WorldLimits = {
  tasks: 512,
  memoryBytes: 1 * GiB,
  cpus: Math.max(0.5, availableParallelism() * 0.75),
};

export type LimitMechanism = 'cgroup2' | 'cgroup1' | 'rlimit';

/** Which limit is enforced how, under each mechanism (for `nslab doctor` and the suite). */
export interface LimitsPlan {
  readonly mechanism: LimitMechanism;
  /** Why a stronger mechanism is not used (empty when the strongest one is). */
  readonly why: string;
  /** cgroup directory under which each world's cgroup is made, per controller. */
  readonly parents: ReadonlyMap<Controller, string>;
  readonly enforced: { readonly tasks: string; readonly memory: string; readonly tmpfs: string; readonly cpu: string };
}

type Controller = 'pids' | 'memory' | 'cpu' | 'unified';

let configured: WorldLimits = DEFAULT_LIMITS;

/** The limits every world started from now on gets (the CLI sets them from its flags). */
export function configureLimits(limits: Partial<WorldLimits>): WorldLimits {
  const next = { ...configured, ...limits };
  validateLimits(next);
  configured = next;
  return configured;
}

export function currentLimits(): WorldLimits {
  return configured;
}

/** Refuses limits the lab cannot work with, saying which and why. */
export function validateLimits(limits: WorldLimits): void {
  // Two panes, their shells, a container and a check need a few dozen tasks and ~64 MiB.
  if (!Number.isInteger(limits.tasks) || limits.tasks < 64) {
    throw new NslabError(`--tasks ${limits.tasks} is too few: a lab needs at least 64 processes and threads.`, 'Use --tasks 512 (the default) or more.');
  }
  if (!Number.isFinite(limits.memoryBytes) || limits.memoryBytes < 128 * 1024 ** 2) {
    throw new NslabError(`--memory ${formatBytes(limits.memoryBytes)} is too little: a lab needs at least 128M.`, 'Use --memory 1G (the default) or more.');
  }
  if (!Number.isFinite(limits.cpus) || limits.cpus < 0.1) {
    throw new NslabError(`--cpus ${limits.cpus} is too little: a lab needs at least 0.1 CPU.`, 'Use --cpus 1 or more.');
  }
}

/** "1G", "512M", "300k", "1073741824" → bytes; NaN when it is not a size. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!match) return Number.NaN;
  const power = ['', 'k', 'm', 'g', 't'].indexOf(match[2]!.toLowerCase());
  return Math.round(Number(match[1]) * 1024 ** power);
}

export function formatBytes(bytes: number): string {
  for (const [unit, size] of [['GiB', GiB], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} B`;
}

let plan: LimitsPlan | undefined;

/** The mechanism this machine offers (found once; it does not change while nslab runs). */
export function limitsPlan(): LimitsPlan {
  plan ??= findPlan();
  return plan;
}

const ENFORCED_BY_CGROUP = {
  tasks: 'for the whole world (pids controller)',
  memory: 'for the whole world, page cache and swap included (memory controller)',
  tmpfs: 'every tmpfs of the world counts against its memory (tmpfs pages are charged to the writer\'s cgroup)',
};

/** The floor: what every machine offers (also what tests and the bench force). */
export function rlimitPlan(why: string): LimitsPlan {
  return {
    mechanism: 'rlimit',
    why,
    parents: new Map(),
    enforced: {
      tasks: 'for the whole world (RLIMIT_NPROC, counted in the lab\'s user namespaces)',
      memory: 'per process only (RLIMIT_AS); many processes together can use more',
      tmpfs: 'not limited: only the lab root\'s own tmpfs has a size; a tmpfs the student mounts can fill the machine\'s memory',
      cpu: `lower priority only (nice ${FLOOR_NICE})`,
    },
  };
}

function findPlan(): LimitsPlan {
  const rlimit = rlimitPlan;
  if (process.getuid?.() !== 0) {
    return rlimit('nslab was not started by root; a cgroup of its own would need systemd delegation, which nslab does not use yet');
  }
  let mounts;
  let membership: string;
  try {
    mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
    membership = readFileSync('/proc/self/cgroup', 'utf8');
  } catch (error) {
    return rlimit(`cannot read the cgroup mounts: ${(error as Error).message}`);
  }
  const v2 = mounts.find((m) => m.fsType === 'cgroup2');
  if (v2) {
    const controllers = readText(join(v2.mountPoint, 'cgroup.controllers'))?.split(/\s+/) ?? [];
    if (controllers.includes('pids') && controllers.includes('memory')) {
      return {
        mechanism: 'cgroup2',
        why: '',
        parents: new Map([['unified', v2.mountPoint]]),
        enforced: { ...ENFORCED_BY_CGROUP, cpu: controllers.includes('cpu') ? 'a quota of CPU time (cpu.max)' : 'not limited: no cpu controller' },
      };
    }
  }
  // cgroup v1: a hierarchy per controller; ours is the path /proc/self/cgroup gives for it.
  const parents = new Map<Controller, string>();
  for (const controller of ['pids', 'memory', 'cpu'] as const) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(controller));
    const line = membership.split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
    if (!mount || !line) continue;
    const own = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1);
    parents.set(controller, join(mount.mountPoint, own));
  }
  if (parents.has('pids') && parents.has('memory')) {
    return {
      mechanism: 'cgroup1',
      why: v2 ? `the cgroup v2 hierarchy at ${v2.mountPoint} has no pids and memory controllers` : '',
      parents,
      enforced: { ...ENFORCED_BY_CGROUP, cpu: parents.has('cpu') ? 'a quota of CPU time (cpu.cfs_quota_us)' : 'not limited: no cpu controller' },
    };
  }
  return rlimit('neither a cgroup v2 hierarchy with pids and memory controllers nor cgroup v1 pids and memory hierarchies are mounted');
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** What a lab with a cgroups lesson can be given (for the cgroups lab and the suite). */
export type Delegation = { readonly available: true; readonly how: string } | { readonly available: false; readonly reason: string };

/**
 * Whether a lab world can get a cgroup it may write to. As root, nslab makes a `lab` cgroup
 * inside the world's own and gives it (directory and files) to the lab's uid: lab root may then
 * create cgroups below it, set their limits (never above the world's: the controllers are
 * hierarchical) and move its own processes into them (cgroups(7): moving needs write access to
 * the destination's cgroup.procs and, on v1, the same uid as the process). The lab mounts the
 * hierarchy itself; its cgroup namespace shows the world's cgroup as the root.
 */
export function cgroupDelegation(): Delegation {
  const p = limitsPlan();
  if (p.mechanism === 'rlimit') return { available: false, reason: `the lab world has no cgroup: ${p.why}` };
  if (p.mechanism === 'cgroup2') {
    // cgroup v2 moves a process only for a writer of the common ancestor's cgroup.procs
    // (Documentation/admin-guide/cgroup-v2.rst, "Delegation Containment"): the lab's processes
    // sit in the world's own cgroup, which is root's, so they could not enter <world>/lab.
    return { available: false, reason: 'on cgroup v2 the lab\'s processes would have to start inside the delegated cgroup, which nslab does not do yet' };
  }
  return {
    available: true,
    how: 'world.limits.delegate(world.identity.uid) makes <world>/lab in each controller, owned by the lab; in the lab: mount -t cgroup -o pids none /sys/fs/cgroup/pids (likewise memory, cpu), then /sys/fs/cgroup/pids/lab is writable and lab root can move its own processes into cgroups below it',
  };
}

/** A limit the world ran into, in words for the student. */
export interface LimitEvent {
  readonly limit: 'tasks' | 'memory' | 'oom-kill';
  /** How many more times it happened since the previous poll. */
  readonly times: number;
  readonly message: string;
}

interface Counter {
  readonly limit: LimitEvent['limit'];
  readonly file: string;
  /** The counter's value in the file's text. */
  readonly read: (text: string) => number | null;
}

const keyed = (key: string) => (text: string) => {
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
};
const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : null);

/** The world's cgroups (none under rlimit) and the reaper that removes them. */
export class WorldLimitsHandle {
  private readonly last = new Map<string, number>();
  private removed?: Promise<void>;

  private constructor(
    readonly limits: WorldLimits,
    readonly plan: LimitsPlan,
    /** The world's cgroup directory in each hierarchy (empty under rlimit). */
    readonly dirs: ReadonlyMap<Controller, string>,
    private readonly reaper: ChildProcess | null,
    private readonly counters: readonly Counter[],
  ) {
    for (const c of counters) this.last.set(c.file, this.readCounter(c) ?? 0);
  }

  /**
   * Creates the world's cgroups with `limits` set, or only plans the rlimit floor. Throws an
   * NslabError when the machine offers cgroups but they cannot be made (nothing is left).
   */
  static create(limits: WorldLimits, chosen: LimitsPlan = limitsPlan()): WorldLimitsHandle {
    validateLimits(limits);
    if (chosen.mechanism === 'rlimit') return new WorldLimitsHandle(limits, chosen, new Map(), null, []);
    sweepStale(chosen);
    const name = `nslab-${process.pid}-${readStartTime(process.pid) ?? 0}-${++worldCount}`;
    const dirs = new Map<Controller, string>();
    for (const [controller, parent] of chosen.parents) dirs.set(controller, join(parent, name));
    // The reaper first: whatever happens from here on, it removes what was made.
    const reaper = spawnReaper([...dirs.values()]);
    try {
      for (const [controller, dir] of dirs) {
        mkdirSync(dir);
        setLimits(controller, dir, limits, chosen);
      }
    } catch (error) {
      reaper.stdin?.end();
      throw new NslabError(`nslab could not set the lab's limits in ${[...dirs.values()].join(', ')}: ${(error as Error).message}`, 'Run `nslab doctor` to see the limits this machine offers.');
    }
    return new WorldLimitsHandle(limits, chosen, dirs, reaper, countersFor(chosen.mechanism, dirs));
  }

  get mechanism(): LimitMechanism {
    return this.plan.mechanism;
  }

  /**
   * The argv prefix that puts a program into the world's limits before it runs: a shell that
   * writes its own pid into each cgroup.procs and then execs the rest (through prlimit(1) for
   * the per-process memory floor when there is no cgroup).
   *
   * Everything but the anchor also gets oom_score_adj 500, which any process may raise for
   * itself (proc(5)): under the memory limit a full tmpfs cannot be reclaimed, and the OOM
   * killer must then pick what the student runs, never the anchor or the inits that hold the
   * world together (killing one of those ends the whole lab). Lowering the anchor's instead
   * would need CAP_SYS_RESOURCE, which a root in a container may lack.
   */
  joinPrefix(options: { anchor?: boolean } = {}): string[] {
    const files = [...this.dirs.values()].map((d) => join(d, 'cgroup.procs'));
    const oom = options.anchor ? '' : 'echo 500 >/proc/self/oom_score_adj; ';
    const floor = this.dirs.size === 0 ? ['prlimit', `--as=${this.limits.memoryBytes}`, '--', 'nice', '-n', String(FLOOR_NICE)] : [];
    return ['sh', '-c', `${oom}while [ "$1" != -- ]; do echo $$ >"$1" || exit 125; shift; done; shift; exec "$@"`, 'nslab-join', ...files, '--', ...floor];
  }

  /** Environment for level1.sh: the floor applied inside the world. */
  floorEnvironment(): Record<string, string> {
    // Under cgroups the task limit is the cgroup's; RLIMIT_NPROC stays above it so that the
    // cgroup's counter (which nslab can read and explain) is the one that trips.
    const nproc = this.dirs.size === 0 ? this.limits.tasks : this.limits.tasks + 64;
    return { NSLAB_NPROC: String(nproc), NSLAB_NICE: this.dirs.size === 0 ? String(FLOOR_NICE) : '0', NSLAB_TMPFS_SIZE: String(this.limits.memoryBytes) };
  }

  /**
   * The limits the world ran into since the previous call, in words. Cheap (a few small reads):
   * poll it when a pane settles or a check ends.
   */
  poll(): LimitEvent[] {
    const events: LimitEvent[] = [];
    for (const counter of this.counters) {
      const value = this.readCounter(counter);
      if (value === null) continue;
      const before = this.last.get(counter.file) ?? 0;
      this.last.set(counter.file, value);
      if (value > before && !events.some((e) => e.limit === counter.limit)) {
        events.push({ limit: counter.limit, times: value - before, message: this.explain(counter.limit) });
      }
    }
    return events;
  }

  private explain(limit: LimitEvent['limit']): string {
    const memory = formatBytes(this.limits.memoryBytes);
    switch (limit) {
      case 'tasks':
        return `This lab reached its limit of ${this.limits.tasks} processes and threads, so new ones failed ("Resource temporarily unavailable"). nslab limits every lab so that a runaway loop cannot take the machine. Press Ctrl-C in the pane; if processes remain, \`kill -9 -1\` ends every other process of its pid namespace (in the host pane, the container's too), or Ctrl-g r starts a fresh lab.`;
      case 'memory':
        return `This lab reached its memory limit of ${memory} (files in tmpfs count too): the kernel reclaims what it can, and what it cannot fails with "Cannot allocate memory". Remove big files in tmpfs, or stop what is using the memory.`;
      case 'oom-kill':
        return `This lab ran out of its ${memory} of memory and the kernel's out-of-memory killer stopped a process inside the lab (only lab processes are ever chosen: the limit is the lab's own). Files in a tmpfs keep their memory until removed; if the lab no longer answers, Ctrl-g r starts a fresh one.`;
    }
  }

  private readCounter(counter: Counter): number | null {
    const text = readText(counter.file);
    return text === null ? null : counter.read(text);
  }

  /**
   * A cgroup inside the world's own that the lab's uid owns (see cgroupDelegation). Returns the
   * path of the new cgroup as the lab sees it, relative to the root of its cgroup namespace.
   */
  delegate(uid: number): string {
    const delegation = cgroupDelegation();
    if (this.dirs.size === 0 || !delegation.available) {
      throw new NslabError(`This lab world has no cgroup it can hand to the lab: ${this.dirs.size === 0 ? this.plan.why : (delegation as { reason: string }).reason}.`);
    }
    for (const dir of this.dirs.values()) {
      const sub = join(dir, 'lab');
      mkdirSync(sub);
      chownSync(sub, uid, uid);
      // cgroup.procs, tasks and the limit files: the lab writes them; ownership is per file.
      for (const file of readdirSync(sub)) chownSync(join(sub, file), uid, uid);
    }
    return '/lab';
  }

  /** Removes the world's cgroups once the world's processes are gone (resolves when done). */
  remove(): Promise<void> {
    this.removed ??= new Promise<void>((resolve) => {
      if (!this.reaper || this.reaper.exitCode !== null || this.reaper.signalCode !== null) return resolve();
      // Waited for now: keep nslab running until the directories are gone.
      this.reaper.ref();
      this.reaper.once('exit', () => resolve());
      this.reaper.stdin?.end();
    });
    return this.removed;
  }
}

let worldCount = 0;
/** Without a cpu controller the lab's processes run at this nice value (panes included). */
const FLOOR_NICE = 10;

function setLimits(controller: Controller, dir: string, limits: WorldLimits, chosen: LimitsPlan): void {
  const write = (file: string, value: string | number) => writeFileSync(join(dir, file), String(value));
  const period = 100_000;
  const quota = Math.round(limits.cpus * period);
  switch (controller) {
    case 'pids':
      write('pids.max', limits.tasks);
      break;
    case 'memory':
      write('memory.limit_in_bytes', limits.memoryBytes);
      // memory+swap: absent when the kernel does not account swap (swapaccount=0).
      if (existsSync(join(dir, 'memory.memsw.limit_in_bytes'))) write('memory.memsw.limit_in_bytes', limits.memoryBytes);
      break;
    case 'cpu':
      // Only a quota. The weight stays the default, that of one ordinary process: a lower one
      // made a world start 2-3 times slower on a busy machine (load 16: 720 vs 310 ms).
      write('cpu.cfs_period_us', period);
      write('cpu.cfs_quota_us', quota);
      break;
    case 'unified': {
      // The hierarchy's root may hand any controller down (no "no internal processes" rule
      // there, cgroups(7)); enable the ones the world needs.
      const root = chosen.parents.get('unified')!;
      const wanted = ['pids', 'memory', 'cpu'].filter((c) => readText(join(root, 'cgroup.controllers'))?.split(/\s+/).includes(c));
      const enabled = readText(join(root, 'cgroup.subtree_control'))?.split(/\s+/) ?? [];
      const missing = wanted.filter((c) => !enabled.includes(c));
      if (missing.length > 0) writeFileSync(join(root, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
      write('pids.max', limits.tasks);
      write('memory.max', limits.memoryBytes);
      if (existsSync(join(dir, 'memory.swap.max'))) write('memory.swap.max', 0);
      if (existsSync(join(dir, 'cpu.max'))) write('cpu.max', `${quota} ${period}`);
      break;
    }
  }
}

function countersFor(mechanism: LimitMechanism, dirs: ReadonlyMap<Controller, string>): Counter[] {
  if (mechanism === 'cgroup2') {
    const dir = dirs.get('unified')!;
    return [
      { limit: 'tasks', file: join(dir, 'pids.events'), read: keyed('max') },
      { limit: 'oom-kill', file: join(dir, 'memory.events'), read: keyed('oom_kill') },
      { limit: 'memory', file: join(dir, 'memory.events'), read: keyed('max') },
    ];
  }
  const pids = dirs.get('pids')!;
  const memory = dirs.get('memory')!;
  return [
    { limit: 'tasks', file: join(pids, 'pids.events'), read: keyed('max') },
    { limit: 'oom-kill', file: join(memory, 'memory.oom_control'), read: keyed('oom_kill') },
    { limit: 'memory', file: join(memory, 'memory.failcnt'), read: whole },
    // With memory+swap limited to the same value, the memsw counter is often the one that fails.
    { limit: 'memory', file: join(memory, 'memory.memsw.failcnt'), read: whole },
  ];
}

/**
 * The reaper of one world's cgroups: waits for EOF on stdin, then removes each directory
 * (deepest first: the lab may have made cgroups inside a delegated one), retrying while the
 * kernel is still killing the world's processes (rmdir fails with EBUSY until a cgroup is empty).
 */
const REAPER = `trap '' INT HUP TERM QUIT
while read -r _; do :; done
rmtree() {
  for sub in "$1"/*/; do [ -d "$sub" ] && rmtree "\${sub%/}"; done
  rmdir "$1" 2>/dev/null
}
for dir in "$@"; do
  tries=0
  while [ -d "$dir" ] && ! rmtree "$dir" && [ $tries -lt 1000 ]; do
    tries=$((tries + 1)); sleep 0.01
  done
done`;

function spawnReaper(dirs: string[]): ChildProcess {
  // detached: a session of its own, so Ctrl-C or a hang-up of nslab's terminal cannot kill it.
  const reaper = spawn('sh', ['-c', REAPER, 'nslab-reaper', ...dirs], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  reaper.stdin!.on('error', () => {});
  // It must not keep nslab running: nslab's exit is exactly what it waits for.
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  return reaper;
}

/** Removes the cgroups of worlds whose nslab is gone (its pid is dead or has a new start time). */
function sweepStale(chosen: LimitsPlan): void {
  for (const parent of chosen.parents.values()) {
    let names: string[];
    try {
      names = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = /^nslab-(\d+)-(\d+)-\d+$/.exec(name);
      if (!match) continue;
      if (readStartTime(Number(match[1])) === match[2]) continue; // its owner is alive
      removeTree(join(parent, name));
    }
  }
}

function removeTree(dir: string): void {
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeTree(join(dir, entry.name));
    }
    rmdirSync(dir);
  } catch {
    // still in use (processes of a world being torn down): the next sweep tries again
  }
}
