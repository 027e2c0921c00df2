/**
 * Processes and /proc: which pid namespace a /proc shows, whom a process can see or signal,
 * whether a planted process still runs (proc(5), pid_namespaces(7)).
 */
import { z } from 'zod';
import { parseStatStartTime } from '../kernel/proc.ts';
import { absPath, gone, predicate, subject } from './types.ts';
import type { ProcView } from './view.ts';

/**
 * Whether `viewer`'s proc at `dir` shows `target` as the process it is: the entry under the
 * target's pid in that proc's namespace has its start time and comm (the same in every pid
 * namespace's view of a process), so a recycled pid is not mistaken for it.
 */
function shows(viewer: ProcView, dir: string, target: ProcView, pidThere: number): boolean {
  const stat = viewer.read(`${dir === '/' ? '' : dir}/${pidThere}/stat`);
  if (stat === null) return false;
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  return parseStatStartTime(stat) === target.startTime() && comm === target.comm();
}

/** The pids listed by the proc at `dir` in `viewer`'s view; null if no proc is there. */
function listed(viewer: ProcView, dir: string): number[] | null {
  const entries = viewer.list(dir);
  if (!entries || !entries.includes('self')) return null;
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/** Whether `target` shows, as itself, in `viewer`'s proc at `dir`, under any pid. */
function seenAt(viewer: ProcView, dir: string, target: ProcView): boolean {
  const pids = listed(viewer, dir);
  if (!pids) return false;
  // The target's pid in each pid namespace it is in; a proc shows one of them, if any.
  const candidates = new Set(target.status()?.nspid ?? []);
  return [...candidates].some((n) => pids.includes(n) && shows(viewer, dir, target, n));
}

export const procOwnPidNamespace = predicate({
  name: 'proc.ownPidNamespace',
  params: z.strictObject({ subject, path: absPath.default('/proc') }),
  codes: ['no-proc', 'shared-pid-namespace', 'stale-proc'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const host = view.labHost;
    if (!host) return gone('lab-host');
    const dir = view.expand(p.path);
    const pids = listed(proc, dir);
    const facts = { subject: p.subject, path: p.path };
    if (pids === null) return { code: 'no-proc', facts };
    const withCount = { ...facts, count: pids.length, showsLabHost: seenAt(proc, dir, host) };
    if (proc.ns('pid') === host.ns('pid')) return { code: 'shared-pid-namespace', facts: withCount };
    const inner = proc.innerPid();
    if (inner === null) return gone(p.subject);
    // Its own pid namespace's proc lists it under its innermost pid.
    if (!pids.includes(inner) || !shows(proc, dir, proc, inner)) return { code: 'stale-proc', facts: withCount };
    return { code: 'pass', facts: { ...withCount, innerPid: inner } };
  },
});

export const procSees = predicate({
  name: 'proc.sees',
  params: z.strictObject({ subject, target: subject, path: absPath.default('/proc') }),
  codes: ['no-proc', 'not-listed'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const target = view.subject(p.target);
    if (!target) return gone(p.target);
    const dir = view.expand(p.path);
    const pids = listed(proc, dir);
    const facts = { subject: p.subject, target: p.target, path: p.path };
    if (pids === null) {
      const elsewhere = (proc.mountinfo() ?? []).filter((m) => m.fsType === 'proc' && m.mountPoint !== dir).map((m) => m.mountPoint);
      return { code: 'no-proc', facts: { ...facts, elsewhere } };
    }
    if (!seenAt(proc, dir, target)) return { code: 'not-listed', facts: { ...facts, count: pids.length } };
    return { code: 'pass', facts: { ...facts, count: pids.length, pid: target.labHostPid() ?? 0 } };
  },
});

/**
 * `target` is out of the subject's reach: kill(2) cannot name it (only processes of the caller's
 * pid namespace and those nested in it can be named), and no proc mounted anywhere in the
 * subject's view shows it.
 */
export const procOutOfReach = predicate({
  name: 'proc.outOfReach',
  params: z.strictObject({ subject, target: subject }),
  codes: ['signalable', 'visible'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const target = view.subject(p.target);
    if (!target) return gone(p.target);
    const facts = { subject: p.subject, target: p.target };
    // kill(2) names only processes of the caller's pid namespace and of those nested in it.
    const own = proc.ns('pid');
    const inode = own === null ? null : Number(/\[(\d+)\]/.exec(own)?.[1]);
    const chain = target.pidAncestry();
    if (inode === null || chain === null) return gone(chain ? p.subject : p.target);
    if (chain.includes(inode)) return { code: 'signalable', facts };
    const where = (proc.mountinfo() ?? []).filter((m) => m.fsType === 'proc').map((m) => m.mountPoint);
    const seen = [...new Set(where)].filter((dir) => seenAt(proc, dir, target));
    if (seen.length > 0) return { code: 'visible', facts: { ...facts, at: seen } };
    return { code: 'pass', facts };
  },
});

export const procAlive = predicate({
  name: 'proc.alive',
  params: z.strictObject({ subject }),
  codes: ['stopped'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const state = proc.status()?.state;
    return { code: state === 'T' || state === 't' ? 'stopped' : 'pass', facts: { subject: p.subject, pid: proc.labHostPid() ?? 0 } };
  },
});

export const procDead = predicate({
  name: 'proc.dead',
  params: z.strictObject({ subject }),
  codes: ['running', 'stopped'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return { code: 'pass', facts: { subject: p.subject, pid: 0 } };
    const state = proc.status()?.state;
    return { code: state === 'T' || state === 't' ? 'stopped' : 'running', facts: { subject: p.subject, pid: proc.labHostPid() ?? 0 } };
  },
});

/**
 * A planted process was killed from inside `root` (a chroot's root counts: this is about who,
 * not which namespace). The kernel keeps no record of a signal's sender once the target is dead,
 * so the planted process is its own witness: it catches the catchable signals with SA_SIGINFO
 * and, before it exits, writes the sender's pid and root (readlink of /proc/<si_pid>/root, as
 * the lab host sees it) as "<pid> <root>\n" to /run/nslab/planted/<name>.killer (labs/04-proc-leakage/setup.sh
 * has one, in perl from the lab host's real /usr). A record it cannot complete says "?".
 */
export const procKilledBy = predicate({
  name: 'proc.killedBy',
  params: z.strictObject({ subject: z.custom<`planted:${string}`>((v) => typeof v === 'string' && /^planted:[a-z0-9][a-z0-9-]*$/.test(v), { message: 'must be planted:<name>' }), root: absPath }),
  codes: ['running', 'stopped', 'wrong-root', 'unknown-killer'],
  evaluate(view, p) {
    const facts = { subject: p.subject, root: p.root };
    const proc = view.subject(p.subject);
    if (proc) {
      const state = proc.status()?.state;
      return { code: state === 'T' || state === 't' ? 'stopped' : 'running', facts: { ...facts, pid: proc.labHostPid() ?? 0 } };
    }
    const record = view.labHost?.read(`/run/nslab/planted/${p.subject.slice(8)}.killer`) ?? null;
    const m = record === null ? null : /^(\d+) (\S+)\n?$/.exec(record);
    if (!m || m[2] === '?') return { code: 'unknown-killer', facts };
    const killer = { ...facts, killer: Number(m[1]), killerRoot: m[2]! };
    return { code: m[2] === view.expand(p.root) ? 'pass' : 'wrong-root', facts: killer };
  },
});

export const PROC_PREDICATES = [procOwnPidNamespace, procSees, procOutOfReach, procAlive, procDead, procKilledBy];
