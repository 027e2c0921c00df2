/**
 * The live inspector behind Ctrl-g i: which view is open, and the kernel state it shows, read
 * again whenever a pane settles (the moment the checks run too). Only the open view is read,
 * so an open inspector costs one /proc walk (plus one `ip` per net namespace for the network
 * view) per settle, and a closed one nothing.
 */
import { readMountinfo, type MountEntry } from '../kernel/mountinfo.ts';
import { groupKey, groupNamespaces, netNamespaceMembers, type NamespaceGroup } from './namespaces.ts';
import { mountTree, sameMounts, type MountView } from './mounts.ts';
import { readNetLinks, vethPairs, type NetNamespaceView, type VethPair } from './network.ts';
import { listLabProcesses, type ProcessRoots } from './processes.ts';

export const INSPECTOR_VIEWS = ['namespaces', 'mounts', 'network'] as const;
export type InspectorMode = (typeof INSPECTOR_VIEWS)[number];

export interface InspectorTarget extends ProcessRoots {
  /** The focused pane's foreground process (the mounts view shows its table); null if none. */
  readonly focused: number | null;
  readonly focusedName: string;
}

export interface InspectorView {
  readonly mode: InspectorMode | null;
  readonly namespaces: readonly NamespaceGroup[];
  readonly mounts: (MountView & { readonly of: string }) | null;
  readonly network: { readonly namespaces: readonly NetNamespaceView[]; readonly pairs: readonly VethPair[] } | null;
  /** How long the last look took, in ms. */
  readonly readMs: number | null;
  readonly error: string | null;
  readonly frame: number;
}

export class Inspector {
  private state: InspectorView = { mode: null, namespaces: [], mounts: null, network: null, readMs: null, error: null, frame: 0 };
  private listeners = new Set<() => void>();
  private seenGroups = new Set<string>();
  private mountsNow: MountEntry[] | null = null;
  private mountsBefore: MountEntry[] | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly target: () => InspectorTarget | null) {}

  get view(): InspectorView {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ctrl-g i: namespaces → mounts → network → closed. */
  cycle(): void {
    const at = this.state.mode === null ? -1 : INSPECTOR_VIEWS.indexOf(this.state.mode);
    const mode = INSPECTOR_VIEWS[at + 1] ?? null;
    this.update({ mode });
    if (mode) this.refresh();
  }

  /** A fresh world: nothing of the old one is "before". */
  forget(): void {
    this.seenGroups.clear();
    this.mountsNow = this.mountsBefore = null;
    this.update({ namespaces: [], mounts: null, network: null });
  }

  /** Reads the open view again; a request during a read queues exactly one more. */
  refresh(): Promise<void> {
    if (this.state.mode === null) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.look()
      .catch((error: unknown) => this.update({ error: (error as Error).message }))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          void this.refresh();
        }
      });
    return this.running;
  }

  private async look(): Promise<void> {
    const target = this.target();
    const mode = this.state.mode;
    if (!target || !mode) return;
    const started = performance.now();
    const processes = listLabProcesses(target);
    const namespaces = groupNamespaces(processes, target.labHost, this.seenGroups);
    for (const g of namespaces) this.seenGroups.add(groupKey(g.type, g.inode));
    const patch: { -readonly [K in keyof InspectorView]?: InspectorView[K] } = { namespaces, error: null };
    // tcgetpgrp can name a process that is gone, or a recycled pid: only a listed lab process counts.
    const focused = processes.some((p) => p.pid === target.focused) ? target.focused : null;
    if (mode === 'mounts') patch.mounts = this.lookAtMounts({ ...target, focused });
    if (mode === 'network') {
      const members = netNamespaceMembers(namespaces);
      const links = await readNetLinks(members.map((m) => m.member));
      const views = members.map(({ inode, labHost, member }, i): NetNamespaceView => {
        const read = links[i]!;
        const label = `${member.command} ${member.labPid ?? '?'}`;
        return read instanceof Error ? { inode, labHost, member: label, links: [], error: read.message } : { inode, labHost, member: label, links: read, error: null };
      });
      patch.network = { namespaces: views, pairs: vethPairs(views) };
    }
    this.update({ ...patch, readMs: Math.round(performance.now() - started) });
  }

  private lookAtMounts(target: InspectorTarget): MountView & { of: string } {
    const of = target.focusedName;
    const entries = target.focused === null ? null : readMountinfo(target.focused);
    if (!entries) return { rows: [], removed: [], of };
    // Another process (the student started a shell): its table is compared with what was on
    // screen, which is what "changed since the last look" means to the person looking.
    if (this.mountsNow === null || !sameMounts(this.mountsNow, entries)) {
      this.mountsBefore = this.mountsNow;
      this.mountsNow = entries;
    }
    return { ...mountTree(this.mountsNow, this.mountsBefore), of };
  }

  private update(patch: Partial<InspectorView>): void {
    this.state = { ...this.state, ...patch, frame: this.state.frame + 1 };
    for (const listener of this.listeners) listener();
  }
}
