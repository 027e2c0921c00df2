/**
 * Mounts: where they are, which namespace made them, how they propagate, and whether a root is
 * pivoted. "Pivoted" and "old root detached" are defined once, here, over the namespace's whole
 * mount tree (src/kernel/mounttree.ts says why mountinfo cannot tell a chroot from a pivot).
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { propagationName, type MountEntry } from '../kernel/mountinfo.ts';
import { absoluteRoot, type MountNode } from '../kernel/mounttree.ts';
import { sameIdentity } from '../kernel/proc.ts';
import { absPath, error, gone, predicate, subject } from './types.ts';
import type { ProcView } from './view.ts';

const same = (a: ProcView, b: ProcView) => a.ns('mount') !== null && a.ns('mount') === b.ns('mount');

/** The whole tree, or a verdict: gone, or a kernel without listmount of another namespace. */
function treeOf(proc: ProcView): MountNode[] | 'gone' | 'unsupported' {
  try {
    return proc.mountTree() ?? 'gone';
  } catch {
    return 'unsupported';
  }
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** What a mount's optional fields say: "shared:3", "master:1", "shared:3 master:1", "private", "unbindable". */
export function propagationText(entry: MountEntry): string {
  const name = propagationName(entry);
  if (name === 'private' || name === 'unbindable') return name;
  return entry.optionalFields.filter((f) => /^(shared|master):/.test(f)).join(' ');
}

export const mountAt = predicate({
  name: 'mount.at',
  params: z.strictObject({ subject, path: absPath, absentFrom: subject.optional(), fstype: z.string().min(1).optional() }),
  codes: ['missing', 'wrong-namespace', 'also-in', 'same-namespace', 'wrong-type'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const path = view.expand(p.path);
    const facts = { subject: p.subject, path: p.path, ...(p.absentFrom ? { absentFrom: p.absentFrom } : {}) };
    const other = p.absentFrom ? view.subject(p.absentFrom) : null;
    if (p.absentFrom && !other) return gone(p.absentFrom);
    if (!proc.mountinfo()) return gone(p.subject);
    const here = proc.mountAt(path);
    const there = other ? other.mountAt(path) : undefined;
    if (other && same(proc, other)) return { code: 'same-namespace', facts };
    if (!here) return { code: there ? 'wrong-namespace' : 'missing', facts };
    if (p.fstype && here.fsType !== p.fstype) return { code: 'wrong-type', facts: { ...facts, fstype: here.fsType } };
    if (there) return { code: 'also-in', facts };
    return { code: 'pass', facts: { ...facts, fstype: here.fsType } };
  },
});

/**
 * pivot_root(2) made `root` the root mount of the subject's mount namespace: the subject's root
 * is that directory, and the mount it is on hangs directly off the namespace's absolute root.
 * A chroot (with or without `mount --move . /` first) leaves another mount in between.
 */
export const mountPivoted = predicate({
  name: 'mount.pivoted',
  params: z.strictObject({ subject, root: absPath.default('$ROOTFS') }),
  codes: ['shared-namespace', 'not-in-root', 'chroot', 'unsupported'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const host = view.labHost;
    if (!host) return gone('lab-host');
    const facts = { subject: p.subject, root: p.root };
    const rootId = proc.root();
    if (!rootId) return gone(p.subject);
    if (!sameIdentity(rootId, host.identityOf(view.expand(p.root)))) {
      return { code: 'not-in-root', facts: { ...facts, found: view.placeOf(rootId) } };
    }
    if (same(proc, host)) return { code: 'shared-namespace', facts };
    const tree = treeOf(proc);
    if (tree === 'gone') return gone(p.subject);
    if (tree === 'unsupported') return { code: 'unsupported', facts };
    const mountId = proc.rootMountId();
    const mount = tree.find((n) => n.id === mountId);
    if (!mount) return error('the mount of its root is not in its mount namespace');
    const parent = tree.find((n) => n.id === mount.parentId);
    if (parent && parent.parentId === parent.id) return { code: 'pass', facts };
    return { code: 'chroot', facts: { ...facts, under: parent ? `${parent.fsType} at ${parent.mountPoint || '/'}` : 'another mount' } };
  },
});

/**
 * Nothing of the lab host's root filesystem is mounted anywhere in the subject's mount
 * namespace, hidden or not, except inside `keep` (the rootfs itself).
 */
export const mountOldRootDetached = predicate({
  name: 'mount.oldRootDetached',
  params: z.strictObject({ subject, keep: absPath.default('$ROOTFS') }),
  codes: ['shared-namespace', 'attached', 'unsupported'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const host = view.labHost;
    if (!host) return gone('lab-host');
    const facts = { subject: p.subject };
    if (same(proc, host)) return { code: 'shared-namespace', facts };
    const tree = treeOf(proc);
    const hostTree = treeOf(host);
    if (tree === 'gone') return gone(p.subject);
    if (hostTree === 'gone') return gone('lab-host');
    if (tree === 'unsupported' || hostTree === 'unsupported') return { code: 'unsupported', facts };
    const hostRoot = hostTree.find((n) => n.id === host.rootMountId());
    if (!hostRoot) return error("the lab host's root mount could not be found");
    // $ROOTFS as a path of the lab host's root filesystem (a mount's `root` is such a path).
    const keep = posix.join(hostRoot.root, view.expand(p.keep));
    const absolute = absoluteRoot(tree);
    const left = tree.filter(
      (n) => n !== absolute && n.devMajor === hostRoot.devMajor && n.devMinor === hostRoot.devMinor && !inside(n.root, keep),
    );
    if (left.length === 0) return { code: 'pass', facts };
    return { code: 'attached', facts: { ...facts, mounts: left.map((n) => n.mountPoint || '/') } };
  },
});

const PROPAGATION_TYPES = ['shared', 'private', 'slave', 'unbindable'] as const;

/**
 * The propagation type of the mount at `path` (mount_namespaces(7)), optionally relative to the
 * same path of another process: a peer of its group (shared), or a slave of it.
 */
export const mountPropagation = predicate({
  name: 'mount.propagation',
  params: z.strictObject({ subject, path: absPath, type: z.enum(PROPAGATION_TYPES), relativeTo: subject.optional() }),
  codes: ['missing', 'wrong-type', 'same-namespace', 'reference-missing', 'reference-not-shared', 'bound-elsewhere'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const path = view.expand(p.path);
    const facts = { subject: p.subject, path: p.path, type: p.type, ...(p.relativeTo ? { relativeTo: p.relativeTo } : {}) };
    if (!proc.mountinfo()) return gone(p.subject);
    const mount = proc.mountAt(path);
    if (!mount) return { code: 'missing', facts };
    const found = { ...facts, found: propagationText(mount) };
    let group: number | undefined;
    if (p.relativeTo) {
      const ref = view.subject(p.relativeTo);
      if (!ref) return gone(p.relativeTo);
      if (same(proc, ref)) return { code: 'same-namespace', facts: found };
      const refMount = ref.mountAt(path);
      if (!refMount) return { code: 'reference-missing', facts: found };
      group = refMount.propagation.shared;
      const withRef = { ...found, reference: propagationText(refMount) };
      if (p.type !== 'private' && p.type !== 'unbindable' && group === undefined) return { code: 'reference-not-shared', facts: withRef };
      Object.assign(found, withRef);
    }
    const prop = mount.propagation;
    const ok =
      p.type === 'shared' ? prop.shared !== undefined && (group === undefined || prop.shared === group)
      : p.type === 'slave' ? prop.master !== undefined && (group === undefined || prop.master === group)
      : propagationName(mount) === p.type;
    if (!ok) return { code: 'wrong-type', facts: found };
    if (p.type === 'unbindable') {
      // A bind of it made before it became unbindable is still there: same filesystem, root at or under its root.
      const binds = (proc.mountinfo() ?? []).filter(
        (m) => m.id !== mount.id && m.major === mount.major && m.minor === mount.minor && inside(m.root, mount.root) && m.mountPoint !== mount.mountPoint,
      );
      if (binds.length > 0) return { code: 'bound-elsewhere', facts: { ...found, binds: binds.map((m) => m.mountPoint) } };
    }
    return { code: 'pass', facts: found };
  },
});

/**
 * A mount at `path` was made in `from`'s mount namespace after `to`'s namespace existed, and it
 * propagated to `to` (arrives) or did not. Mount ids (statx STATX_MNT_ID_UNIQUE, Linux 6.8) are
 * never reused and grow: the mount a command made is older than the copies propagation made of
 * it, and a mount older than `to`'s namespace reached it as a copy at unshare, not by propagation.
 */
export const mountPropagated = predicate({
  name: 'mount.propagated',
  params: z.strictObject({ from: subject, to: subject, path: absPath, arrives: z.boolean() }),
  codes: ['same-namespace', 'missing', 'wrong-pane', 'copied', 'not-arrived', 'arrived', 'unsupported'],
  evaluate(view, p) {
    const from = view.subject(p.from);
    if (!from) return gone(p.from);
    const to = view.subject(p.to);
    if (!to) return gone(p.to);
    const path = view.expand(p.path);
    const facts: Record<string, string | boolean> = { from: p.from, to: p.to, path: p.path, arrives: p.arrives };
    if (same(from, to)) return { code: 'same-namespace', facts };
    const fromMount = from.mountAt(path);
    const toMount = to.mountAt(path);
    const toTree = treeOf(to);
    if (toTree === 'gone') return gone(p.to);
    if (toTree === 'unsupported') return { code: 'unsupported', facts };
    const birth = absoluteRoot(toTree)?.id;
    const fromId = fromMount ? from.mountIdOf(path) : null;
    const toId = toMount ? to.mountIdOf(path) : null;
    if (birth === undefined || (fromMount && fromId === null) || (toMount && toId === null)) return { code: 'unsupported', facts };
    if (fromId === null) return { code: toId !== null && toId > birth ? 'wrong-pane' : 'missing', facts };
    // Made on the other side and propagated here: the older of the two is the original.
    if (toId !== null && toId < fromId) return { code: 'wrong-pane', facts };
    if (fromId < birth) return { code: 'copied', facts };
    if (p.arrives) return { code: toId !== null ? 'pass' : 'not-arrived', facts: { ...facts, ...(toMount ? { found: propagationText(toMount) } : {}) } };
    return { code: toId !== null ? 'arrived' : 'pass', facts };
  },
});

export const MOUNT_PREDICATES = [mountAt, mountPivoted, mountOldRootDetached, mountPropagation, mountPropagated];

