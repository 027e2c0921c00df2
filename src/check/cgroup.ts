/**
 * cgroups: which cgroup a process is in and the limits on it (cgroups(7)), read from nslab's
 * side: the membership from /proc/<pid>/cgroup, the limit and event files from nslab's own
 * mount of the hierarchy, never a file the lab could have made.
 */
import { z } from 'zod';
import { parseSize } from '../world/limits.ts';
import { error, gone, predicate, subject, type Subject, type Verdict } from './types.ts';
import type { KernelView, ProcView } from './view.ts';

const controller = z.enum(['pids', 'memory']);
/** A count of tasks, or a size of memory ("64M"). */
const amount = z.union([z.number().int().positive(), z.string().refine((t) => Number.isFinite(parseSize(t)), 'must be a number or a size like 64M')]);

/** v1 reports "no limit" as the largest page-aligned signed 64-bit value, v2 as "max". */
const UNLIMITED = 2 ** 62;

function limitOf(p: ProcView, c: 'pids' | 'memory'): number | null {
  const text = c === 'pids' ? p.cgroupFile(c, 'pids.max') : (p.cgroupFile(c, 'memory.max') ?? p.cgroupFile(c, 'memory.limit_in_bytes'));
  if (text === null) return null;
  const t = text.trim();
  if (t === 'max') return Number.POSITIVE_INFINITY;
  return /^\d+$/.test(t) ? Number(t) : null;
}

/** The subject and its cgroup below the world's own, or a verdict saying why not. */
function place(view: KernelView, who: Subject, c: 'pids' | 'memory'): Verdict<'not-moved'> | { p: ProcView; cgroup: string } {
  const p = view.subject(who);
  if (!p) return gone(who);
  const cgroup = p.cgroup(c);
  if (cgroup === null) return error(`the ${c} cgroup of the process could not be read (does this lab world have cgroups? see nslab doctor)`);
  if (cgroup === '/' || cgroup === '/lab') return { code: 'not-moved', facts: { controller: c, cgroup } };
  return { p, cgroup };
}

/** One controller's limit of the subject's cgroup: at most `atMost`, set below the lab's /lab. */
function limitVerdict(view: KernelView, who: Subject, c: 'pids' | 'memory', atMost: number | string): Verdict<'not-moved' | 'no-limit' | 'too-high'> {
  const r = place(view, who, c);
  if ('code' in r) return r;
  const limit = limitOf(r.p, c);
  if (limit === null) return error(`the ${c} limit of ${r.cgroup} could not be read`);
  const most = typeof atMost === 'number' ? atMost : parseSize(atMost);
  const facts = { controller: c, cgroup: r.cgroup, limit: limit >= UNLIMITED ? 'max' : limit, atMost: most };
  if (limit >= UNLIMITED) return { code: 'no-limit', facts };
  return { code: limit > most ? 'too-high' : 'pass', facts };
}

export const cgroupLimited = predicate({
  name: 'cgroup.limited',
  params: z.strictObject({ subject: subject.default('container-init'), controller, atMost: amount }),
  codes: ['not-moved', 'no-limit', 'too-high'],
  evaluate: (view, params) => limitVerdict(view, params.subject, params.controller, params.atMost),
});

/**
 * Both limits a container runtime sets (the capstone's "limits"): the subject's pids cgroup
 * and its memory cgroup, each one the lab made below /lab, each with a limit of its own. The
 * first that does not hold is the verdict (its controller in the facts).
 */
export const cgroupBounded = predicate({
  name: 'cgroup.bounded',
  params: z.strictObject({ subject: subject.default('container'), pids: amount, memory: amount }),
  codes: ['not-moved', 'no-limit', 'too-high'],
  evaluate(view, params) {
    const pids = limitVerdict(view, params.subject, 'pids', params.pids);
    if (pids.code !== 'pass') return pids;
    const memory = limitVerdict(view, params.subject, 'memory', params.memory);
    if (memory.code !== 'pass') return memory;
    return { code: 'pass', facts: { pidsCgroup: pids.facts.cgroup!, pids: pids.facts.limit!, memoryCgroup: memory.facts.cgroup!, memory: memory.facts.limit! } };
  },
});

export const cgroupHitLimit = predicate({
  name: 'cgroup.hitLimit',
  params: z.strictObject({ subject: subject.default('container-init') }),
  codes: ['not-moved', 'not-reached'],
  evaluate(view, params) {
    const r = place(view, params.subject, 'pids');
    if ('code' in r) return r;
    // pids.events "max N": how many forks the limit refused (v1 since Linux 4.5, and v2).
    const events = r.p.cgroupFile('pids', 'pids.events');
    const refused = events === null ? null : /^max (\d+)$/m.exec(events)?.[1];
    if (refused === null || refused === undefined) return error(`pids.events of ${r.cgroup} could not be read`);
    const limit = limitOf(r.p, 'pids');
    const facts = { cgroup: r.cgroup, refused: Number(refused), limit: limit === null || limit >= UNLIMITED ? 'max' : limit };
    return { code: Number(refused) > 0 ? 'pass' : 'not-reached', facts };
  },
});

export const CGROUP_PREDICATES = [cgroupLimited, cgroupBounded, cgroupHitLimit];
