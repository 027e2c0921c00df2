/**
 * A process's mount table as a tree, like findmnt(8): each mount under the one it is mounted
 * on (mountinfo's parent id), with its propagation (shared:N, master:N, private, unbindable)
 * and where it came from (source device, and the directory of that filesystem a bind mount
 * shows). Compared with the previous distinct table, mounts that appeared or changed
 * propagation are marked, and mounts that went away are listed.
 */
import { propagationName, type MountEntry } from '../kernel/mountinfo.ts';
import { printable } from '../printable.ts';

export type MountChange = 'same' | 'added' | 'changed';

export interface MountRow {
  readonly depth: number;
  readonly target: string;
  /** "tmpfs", "/dev/sda1[/srv/x]" for a bind of /srv/x. */
  readonly source: string;
  readonly fsType: string;
  /** "shared:3", "master:3", "shared:4 master:3", "private", "unbindable". */
  readonly propagation: string;
  readonly readOnly: boolean;
  readonly change: MountChange;
}

export interface MountView {
  readonly rows: readonly MountRow[];
  /** Mount points present at the previous look and gone now. */
  readonly removed: readonly string[];
}

function propagationText(entry: MountEntry): string {
  const p = entry.propagation;
  const name = propagationName(entry);
  if (name === 'private' || name === 'unbindable') return name;
  return [p.shared !== undefined ? `shared:${p.shared}` : '', p.master !== undefined ? `master:${p.master}` : ''].filter(Boolean).join(' ');
}

function sourceText(entry: MountEntry): string {
  return entry.root === '/' ? entry.source : `${entry.source}[${entry.root}]`;
}

/** What a mount is, independent of its id (a new mount namespace copies mounts under new ids). */
const identity = (e: MountEntry) => `${e.mountPoint}\0${e.fsType}\0${sourceText(e)}`;

export function mountTree(entries: readonly MountEntry[], previous: readonly MountEntry[] | null): MountView {
  const before = new Map((previous ?? []).map((e) => [identity(e), propagationText(e)]));
  const ids = new Set(entries.map((e) => e.id));
  const children = new Map<number, MountEntry[]>();
  const roots: MountEntry[] = [];
  for (const e of entries) {
    // A mount whose parent is not in this table is a root of what this process can see.
    if (e.parentId === e.id || !ids.has(e.parentId)) roots.push(e);
    else children.set(e.parentId, [...(children.get(e.parentId) ?? []), e]);
  }
  const rows: MountRow[] = [];
  const walk = (e: MountEntry, depth: number) => {
    const propagation = propagationText(e);
    const was = before.get(identity(e));
    const change: MountChange = previous === null ? 'same' : was === undefined ? 'added' : was !== propagation ? 'changed' : 'same';
    rows.push({ depth, target: printable(e.mountPoint), source: printable(sourceText(e)), fsType: printable(e.fsType), propagation, readOnly: e.readOnly, change });
    for (const child of children.get(e.id) ?? []) walk(child, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  const now = new Set(entries.map(identity));
  const removed = (previous ?? []).filter((e) => !now.has(identity(e))).map((e) => printable(e.mountPoint));
  return { rows, removed };
}

/** Whether two tables are the same for the tree (ids aside): the "previous look" only moves on a change. */
export function sameMounts(a: readonly MountEntry[], b: readonly MountEntry[]): boolean {
  const key = (list: readonly MountEntry[]) => list.map((e) => `${identity(e)}\0${propagationText(e)}\0${e.readOnly}`).join('\n');
  return key(a) === key(b);
}
