/** Files as a process sees them (its root, its mounts), read from nslab's side (in-root.ts). */
import { z } from 'zod';
import { sameIdentity } from '../kernel/proc.ts';
import { absPath, gone, predicate, subject } from './types.ts';

export const fileHas = predicate({
  name: 'file.has',
  params: z
    .strictObject({
      subject,
      path: absPath,
      /** The file holds this text. */
      contains: z.string().min(1).optional(),
      /** The file holds the value of an environment variable of another process (a stolen secret). */
      secretOf: z.strictObject({ subject, variable: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }).optional(),
      /** The file is the very file this other process sees at the same path. */
      sameAs: subject.optional(),
      /** Where the file must not be instead (it was written in the wrong pane). */
      notIn: subject.optional(),
    })
    .refine((p) => p.contains !== undefined || p.secretOf !== undefined || p.sameAs !== undefined, {
      message: 'needs one of contains, secretOf, sameAs',
    }),
  codes: ['missing', 'wrong-pane', 'different', 'source-gone'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const path = view.expand(p.path);
    const facts = { subject: p.subject, path: p.path };
    if (p.sameAs) {
      const other = view.subject(p.sameAs);
      if (!other) return gone(p.sameAs);
      const theirs = other.identityOf(path);
      if (!theirs) return { code: 'source-gone', facts: { ...facts, sameAs: p.sameAs } };
      const mine = proc.identityOf(path);
      if (!mine) return { code: 'missing', facts };
      if (!sameIdentity(mine, theirs)) return { code: 'different', facts: { ...facts, sameAs: p.sameAs } };
    }
    const text = proc.read(path);
    if (text === null) {
      const other = p.notIn ? view.subject(p.notIn) : null;
      const misplaced = other !== null && other.identityOf(path) !== null;
      return misplaced ? { code: 'wrong-pane', facts: { ...facts, notIn: p.notIn! } } : { code: 'missing', facts };
    }
    if (p.contains !== undefined && !text.includes(p.contains)) return { code: 'different', facts: { ...facts, bytes: text.length } };
    if (p.secretOf) {
      const owner = view.subject(p.secretOf.subject);
      const secret = owner?.environ()?.[p.secretOf.variable];
      if (!owner || !secret) return { code: 'source-gone', facts: { ...facts, owner: p.secretOf.subject } };
      if (!text.includes(secret)) {
        return { code: 'different', facts: { ...facts, bytes: text.length, namesVariable: text.includes(p.secretOf.variable), owner: p.secretOf.subject } };
      }
    }
    return { code: 'pass', facts };
  },
});

export const FILE_PREDICATES = [fileHas];
