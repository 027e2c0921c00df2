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

export const cgroupLimited = predicate({
  name: 'cgroup.limited',
  params: z.strictObject({ subject: subject.default('container-init'), controller, atMost: amount }),
  codes: ['not-moved', 'no-limit', 'too-high'],
  evaluate(view, params) {
    const r = place(view, params.subject, params.controller);
    if ('code' in r) return r;
    const limit = limitOf(r.p, params.controller);
    if (limit === null) return error(`the ${params.controller} limit of ${r.cgroup} could not be read`);
    const most = typeof params.atMost === 'number' ? params.atMost : parseSize(params.atMost);
    const facts = { controller: params.controller, cgroup: r.cgroup, limit: limit >= UNLIMITED ? 'max' : limit, atMost: most };
    if (limit >= UNLIMITED) return { code: 'no-limit', facts };
    return { code: limit > most ? 'too-high' : 'pass', facts };
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

export const CGROUP_PREDICATES = [cgroupLimited, cgroupHitLimit];
