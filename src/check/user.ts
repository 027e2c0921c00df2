/**
 * User ids through user namespaces (user_namespaces(7)). nslab reads everything from the
 * machine's initial user namespace, so /proc/PID/status shows a process's real (kernel) uid and
 * /proc/PID/uid_map maps the ids of PID's user namespace to real ones ("inside outside count",
 * the outside column written in the reader's namespace). The uid a namespace sees is the real
 * one mapped back through that namespace's map; an id outside every extent is unmapped there
 * (the kernel shows it as the overflow uid, 65534).
 */
import { z } from 'zod';
import { parseStatus } from '../kernel/proc.ts';
import { error, gone, predicate, subject } from './types.ts';
import type { KernelView, ProcView } from './view.ts';

export interface IdExtent {
  inside: number;
  outside: number;
  count: number;
}

export function parseIdMap(text: string): IdExtent[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([inside, outside, count]) => ({ inside: inside!, outside: outside!, count: count! }));
}

/** The id that `outside` (a real id) has inside the namespace of `map`; null if unmapped. */
export function idInside(map: readonly IdExtent[], outside: number): number | null {
  const e = map.find((x) => outside >= x.outside && outside < x.outside + x.count);
  return e ? e.inside + (outside - e.outside) : null;
}

/**
 * The nearest ancestor of `proc` (by parent pid, never above the lab host's init) that is in
 * another user namespace: the one the namespace was created from, when unshare(1) made it.
 */
function starter(view: KernelView, proc: ProcView): number | 'none' | null {
  const host = view.labHost;
  if (!host) return null;
  const labPidNs = Number(/\[(\d+)\]/.exec(host.ns('pid') ?? '')?.[1]);
  const mine = proc.ns('user');
  // In the lab host's own user namespace, the one above is outside the lab: not ours to read.
  if (mine === null || mine === host.ns('user')) return 'none';
  let pid = proc.status()?.ppid ?? null;
  for (let hops = 0; pid !== null && pid > 0 && hops < 64; hops++) {
    const link = view.source.procLink(pid, 'ns/user');
    if (link === null) return null;
    // Never past the lab host's init: stay inside the lab world.
    if (pid !== host.pid && !(view.source.pidAncestry(pid) ?? []).includes(labPidNs)) return null;
    if (link !== mine) return pid;
    if (pid === host.pid) return 'none';
    const text = view.source.procText(pid, 'status');
    pid = text === null ? null : parseStatus(text).ppid;
  }
  return null;
}

export const userUid = predicate({
  name: 'user.uid',
  params: z.strictObject({
    subject,
    /** The uid the subject runs as (effective), in the namespace named by `in`. */
    uid: z.number().int().nonnegative(),
    /** own: the subject's user namespace; parent: the one of the process that started it. */
    in: z.enum(['own', 'parent']).default('own'),
  }),
  codes: ['other-uid', 'unmapped', 'shared-namespace'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const real = proc.status()?.uid[1];
    if (real === undefined) return gone(p.subject);
    let mapPid = proc.pid;
    if (p.in === 'parent') {
      const up = starter(view, proc);
      if (up === null) return gone(p.subject);
      if (up === 'none') return { code: 'shared-namespace', facts: { subject: p.subject, in: p.in } };
      mapPid = up;
    }
    const text = view.source.procText(mapPid, 'uid_map');
    if (text === null) return error('the uid_map could not be read');
    const map = parseIdMap(text);
    const seen = idInside(map, real);
    const facts = { subject: p.subject, in: p.in, map: map.map((e) => `${e.inside} ${e.outside} ${e.count}`) };
    if (seen === null) return { code: 'unmapped', facts };
    if (seen !== p.uid) return { code: 'other-uid', facts: { ...facts, uid: seen } };
    return { code: 'pass', facts: { ...facts, uid: seen } };
  },
});

export const USER_PREDICATES = [userUid];
