/**
 * A process that joined another's namespaces, as setns(2) and nsenter(1) do: every namespace
 * type the kernel has, and (for a container whose root is only a chroot inside its mount
 * namespace) its root directory too, which joining the mount namespace alone does not give.
 */
import { z } from 'zod';
import { sameIdentity } from '../kernel/proc.ts';
import { NAMESPACES, gone, predicate, subject } from './types.ts';

export const nsJoined = predicate({
  name: 'ns.joined',
  params: z.strictObject({ subject, with: subject, root: z.boolean().default(true) }),
  codes: ['own', 'other-root'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const target = view.subject(p.with);
    if (!target) return gone(p.with);
    const facts = { subject: p.subject, with: p.with };
    const differ = NAMESPACES.filter((ns) => proc.ns(ns) !== target.ns(ns));
    if (differ.length > 0) return { code: 'own', facts: { ...facts, namespaces: differ } };
    if (p.root && !sameIdentity(proc.root(), target.root())) return { code: 'other-root', facts: { ...facts, root: view.placeOf(proc.root()) } };
    return { code: 'pass', facts };
  },
});

export const JOINED_PREDICATES = [nsJoined];
