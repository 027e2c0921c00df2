/**
 * Lab processes grouped by namespace, per type (namespaces(7): two processes share a namespace
 * exactly when their /proc/<pid>/ns/<type> links are equal). The lab host's group comes first;
 * a group that did not exist at the previous look is marked new, so `unshare --net bash` shows
 * as a shell leaving the lab host's net group for a new one.
 */
import { NS_TYPES, namespaceInode, type NsType } from '../kernel/namespaces.ts';
import type { LabProcess } from './processes.ts';

export interface NamespaceGroup {
  readonly type: NsType;
  readonly inode: number;
  /** The lab host's own namespace of this type. */
  readonly labHost: boolean;
  /** Not seen at the previous look. */
  readonly isNew: boolean;
  readonly members: readonly LabProcess[];
}

export function groupNamespaces(processes: readonly LabProcess[], labHostPid: number, previous: ReadonlySet<string> = new Set()): NamespaceGroup[] {
  const labHost = processes.find((p) => p.pid === labHostPid);
  const groups: NamespaceGroup[] = [];
  for (const type of NS_TYPES) {
    const byInode = new Map<number, LabProcess[]>();
    for (const p of processes) {
      const link = p.namespaces[type];
      const inode = link === null ? null : namespaceInode(link);
      if (inode === null) continue;
      byInode.set(inode, [...(byInode.get(inode) ?? []), p]);
    }
    const hostInode = labHost?.namespaces[type] ? namespaceInode(labHost.namespaces[type]!) : null;
    const ordered = [...byInode.entries()].sort(([a], [b]) => (a === hostInode ? -1 : b === hostInode ? 1 : a - b));
    for (const [inode, members] of ordered) {
      groups.push({ type, inode, labHost: inode === hostInode, isNew: previous.size > 0 && !previous.has(groupKey(type, inode)), members });
    }
  }
  return groups;
}

export const groupKey = (type: NsType, inode: number): string => `${type}:${inode}`;

/** One representative live process per net namespace, for reading that namespace's links. */
export function netNamespaceMembers(groups: readonly NamespaceGroup[]): Array<{ inode: number; labHost: boolean; member: LabProcess }> {
  return groups.filter((g) => g.type === 'net' && g.members.length > 0).map((g) => ({ inode: g.inode, labHost: g.labHost, member: g.members[0]! }));
}
