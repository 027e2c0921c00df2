/** What a pane's title says about the namespaces of the process in its foreground. */
import { NS_TYPES, compareNamespaces, readNamespaces, type NsType } from '../kernel/namespaces.ts';
import { readComm } from '../kernel/proc.ts';
import { printable } from '../printable.ts';

export interface NamespaceSummary {
  readonly command: string;
  /** Namespaces it shares with the lab host. */
  readonly shared: readonly NsType[];
  /** Namespaces of its own (different from the lab host's). */
  readonly own: readonly NsType[];
}

export function summarizeNamespaces(pid: number, labHostPid: number): NamespaceSummary | null {
  const mine = readNamespaces(pid);
  const host = readNamespaces(labHostPid);
  if (!mine || !host) return null;
  const relation = compareNamespaces(mine, host);
  return {
    command: printable(readComm(pid) ?? '?'),
    shared: NS_TYPES.filter((t) => relation[t] === 'shared'),
    own: NS_TYPES.filter((t) => relation[t] === 'own'),
  };
}

