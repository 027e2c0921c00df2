/**
 * overlayfs (Documentation/filesystems/overlayfs.rst): a mount that shows `upperdir` over one
 * or more read-only `lowerdir`s. mountinfo lists the directories in the mount's per-superblock
 * options as they were given; they are compared by identity (device and inode, as the subject
 * sees them), so `lowerdir=/labs/rootfs/` and `lowerdir=$ROOTFS` are the same image.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { sameIdentity } from '../kernel/proc.ts';
import type { MountEntry } from '../kernel/mountinfo.ts';
import { absPath, gone, predicate, subject } from './types.ts';
import type { ProcView } from './view.ts';

export interface OverlayDirs {
  lower: string[];
  upper: string | null;
  work: string | null;
}

/** The directories of an overlay mount, from its super options (lowerdir is colon-separated). */
export function overlayDirs(entry: MountEntry): OverlayDirs {
  const opt = (key: string) => entry.superOptions.find((o) => o.startsWith(`${key}=`))?.slice(key.length + 1) ?? null;
  // A colon inside one lower directory's name is escaped as "\:" (overlayfs.rst).
  const lower = (opt('lowerdir') ?? '').split(/(?<!\\):/).filter(Boolean).map((d) => d.replace(/\\:/g, ':'));
  // Linux 6.7+ may list added layers as lowerdir+ options instead.
  for (const o of entry.superOptions) if (o.startsWith('lowerdir+=')) lower.push(o.slice('lowerdir+='.length));
  return { lower, upper: opt('upperdir'), work: opt('workdir') };
}

function sameDir(proc: ProcView, a: string, b: string): boolean {
  return sameIdentity(proc.identityOf(a), proc.identityOf(b));
}

export const mountOverlay = predicate({
  name: 'mount.overlay',
  params: z.strictObject({ subject, path: absPath, lower: absPath, upper: absPath }),
  codes: ['missing', 'not-overlay', 'other-lower', 'other-upper'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    if (!proc.mountinfo()) return gone(p.subject);
    const path = view.expand(p.path);
    const facts = { subject: p.subject, path: p.path };
    const entry = proc.mountAt(path);
    if (!entry) return { code: 'missing', facts };
    if (entry.fsType !== 'overlay') return { code: 'not-overlay', facts: { ...facts, fstype: entry.fsType } };
    const dirs = overlayDirs(entry);
    const withDirs = { ...facts, lower: dirs.lower, upper: dirs.upper ?? '' };
    if (!dirs.lower.some((d) => sameDir(proc, d, view.expand(p.lower)))) return { code: 'other-lower', facts: withDirs };
    if (dirs.upper === null || !sameDir(proc, dirs.upper, view.expand(p.upper))) return { code: 'other-upper', facts: withDirs };
    return { code: 'pass', facts: withDirs };
  },
});

/**
 * A change made through an overlay landed where copy-on-write puts it: `name` is in the merged
 * view and in the upper directory, and in no lower directory (the image is unchanged).
 */
export const overlayChange = predicate({
  name: 'overlay.change',
  params: z.strictObject({ subject, path: absPath, name: z.string().min(1).regex(/^[^/]+$/, 'a file name, not a path') }),
  codes: ['no-overlay', 'missing', 'in-image', 'not-in-upper'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    if (!proc.mountinfo()) return gone(p.subject);
    const path = view.expand(p.path);
    const facts = { subject: p.subject, path: p.path, name: p.name };
    const entry = proc.mountAt(path);
    if (!entry || entry.fsType !== 'overlay') return { code: 'no-overlay', facts };
    const dirs = overlayDirs(entry);
    const inLower = dirs.lower.filter((d) => proc.identityOf(posix.join(d, p.name)) !== null);
    if (inLower.length > 0) return { code: 'in-image', facts: { ...facts, lower: inLower } };
    if (proc.identityOf(posix.join(path, p.name)) === null) return { code: 'missing', facts };
    if (dirs.upper === null || proc.identityOf(posix.join(dirs.upper, p.name)) === null) return { code: 'not-in-upper', facts };
    return { code: 'pass', facts: { ...facts, upper: dirs.upper } };
  },
});

/**
 * The mount at `path` is read-only, or writable, as a mount: its per-mount flags (the "ro" a
 * `mount --bind -o ro` sets), whatever the filesystem below allows (mount(8), "bind mount").
 */
export const mountReadOnly = predicate({
  name: 'mount.readOnly',
  params: z.strictObject({ subject, path: absPath, readOnly: z.boolean().default(true) }),
  codes: ['missing', 'writable', 'read-only'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    if (!proc.mountinfo()) return gone(p.subject);
    const facts = { subject: p.subject, path: p.path };
    const entry = proc.mountAt(view.expand(p.path));
    if (!entry) return { code: 'missing', facts };
    const ro = entry.readOnly || entry.superOptions.includes('ro');
    if (ro !== p.readOnly) return { code: ro ? 'read-only' : 'writable', facts: { ...facts, options: entry.options } };
    return { code: 'pass', facts: { ...facts, options: entry.options } };
  },
});

export const OVERLAY_PREDICATES = [mountOverlay, overlayChange, mountReadOnly];
