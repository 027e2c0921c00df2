/** A process's root and working directory (chroot(2), pivot_root(2), chdir(2)). */
import { posix } from 'node:path';
import { z } from 'zod';
import { sameIdentity } from '../kernel/proc.ts';
import { absPath, gone, predicate, subject } from './types.ts';
import { ROOTFS } from './view.ts';

export const rootIs = predicate({
  name: 'root.is',
  params: z.strictObject({ subject, path: absPath, of: subject.default('lab-host') }),
  codes: ['elsewhere'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const of = view.subject(p.of);
    if (!of) return gone(p.of);
    const root = proc.root();
    if (!root) return gone(p.subject);
    const pass = sameIdentity(root, of.identityOf(view.expand(p.path)));
    return { code: pass ? 'pass' : 'elsewhere', facts: { subject: p.subject, root: view.placeOf(root) } };
  },
});

export const cwdIs = predicate({
  name: 'cwd.is',
  params: z.strictObject({ subject, path: absPath, of: subject.default('lab-host') }),
  codes: ['elsewhere'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const of = view.subject(p.of);
    if (!of) return gone(p.of);
    const cwd = proc.cwd();
    if (!cwd) return gone(p.subject);
    const path = view.expand(p.path);
    if (sameIdentity(cwd, of.identityOf(path))) return { code: 'pass', facts: { subject: p.subject } };
    // The same path inside $ROOTFS: the container's own copy, which a chrooted `cd` reaches.
    const twin = sameIdentity(cwd, of.identityOf(posix.join(ROOTFS, path)));
    return { code: 'elsewhere', facts: { subject: p.subject, cwd: twin ? 'rootfs-twin' : view.placeOf(cwd) } };
  },
});

export const ROOT_PREDICATES = [rootIs, cwdIs];
