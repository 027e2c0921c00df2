/** Namespaces: which a process has of its own, which it shares (namespaces(7)). */
import { z } from 'zod';
import { namespaceName, predicate, subject, gone, error, type NamespaceName, type Subject } from './types.ts';
import type { KernelView } from './view.ts';

/** Both processes' links for one namespace type, or a verdict saying why not. */
function links(view: KernelView, a: Subject, b: Subject, ns: NamespaceName) {
  const pa = view.subject(a);
  if (!pa) return gone(a);
  const pb = view.subject(b);
  if (!pb) return gone(b);
  const la = pa.ns(ns);
  const lb = pb.ns(ns);
  if (la === null || lb === null) return error(`the ${ns} namespace links could not be read`);
  return { same: la === lb };
}

export const nsOwn = predicate({
  name: 'ns.own',
  params: z.strictObject({ subject, ns: namespaceName, from: subject.default('lab-host') }),
  codes: ['shared'],
  evaluate(view, p) {
    const r = links(view, p.subject, p.from, p.ns);
    if ('code' in r) return r;
    return { code: r.same ? 'shared' : 'pass', facts: { subject: p.subject, ns: p.ns, from: p.from } };
  },
});

export const nsSharedWith = predicate({
  name: 'ns.sharedWith',
  params: z.strictObject({ subject, ns: namespaceName, with: subject }),
  codes: ['own'],
  evaluate(view, p) {
    const r = links(view, p.subject, p.with, p.ns);
    if ('code' in r) return r;
    return { code: r.same ? 'pass' : 'own', facts: { subject: p.subject, ns: p.ns, with: p.with } };
  },
});

export const NS_PREDICATES = [nsOwn, nsSharedWith];
