/** A process's root and working directory (chroot(2), pivot_root(2), chdir(2)). */
import { posix } from 'node:path';
import { z } from 'zod';
import { sameIdentity } from '../kernel/proc.ts';
import { absPath, gone, predicate, subject, type Subject } from './types.ts';
import { ROOTFS, type KernelView } from './view.ts';

/** The process and the directory `path` names for `of`, or the verdict saying who is gone. */
function dirAndTarget(view: KernelView, p: { subject: Subject; path: string; of: Subject }, which: 'root' | 'cwd') {
  const proc = view.subject(p.subject);
  if (!proc) return gone(p.subject);
  const of = view.subject(p.of);
  if (!of) return gone(p.of);
  const dir = which === 'root' ? proc.root() : proc.cwd();
  if (!dir) return gone(p.subject);
  const path = view.expand(p.path);
  return { dir, of, path, same: sameIdentity(dir, of.identityOf(path)) };
}

const params = z.strictObject({ subject, path: absPath, of: subject.default('lab-host') });

export const rootIs = predicate({
  name: 'root.is',
  params,
  codes: ['elsewhere'],
  evaluate(view, p) {
    const r = dirAndTarget(view, p, 'root');
    if ('code' in r) return r;
    return { code: r.same ? 'pass' : 'elsewhere', facts: { subject: p.subject, root: view.placeOf(r.dir) } };
  },
});

export const cwdIs = predicate({
  name: 'cwd.is',
  params,
  codes: ['elsewhere'],
  evaluate(view, p) {
    const r = dirAndTarget(view, p, 'cwd');
    if ('code' in r) return r;
    if (r.same) return { code: 'pass', facts: { subject: p.subject } };
    // The same path inside $ROOTFS: the container's own copy, which a chrooted `cd` reaches.
    const twin = sameIdentity(r.dir, r.of.identityOf(posix.join(ROOTFS, r.path)));
    return { code: 'elsewhere', facts: { subject: p.subject, cwd: twin ? 'rootfs-twin' : view.placeOf(r.dir) } };
  },
});

export const ROOT_PREDICATES = [rootIs, cwdIs];
