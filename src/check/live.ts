/**
 * The live kernel as a KernelSource: subjects resolved from a stage's panes and world, each pid
 * confirmed to be inside the lab host's pid namespace before anything of it is read.
 */
import { listAs, mountIdAs, readFileAs, statAs } from '../kernel/in-root.ts';
import { readMountTree, rootMountId } from '../kernel/mounttree.ts';
import { readLinks } from '../kernel/netlink.ts';
import { pidNamespaceAncestry } from '../kernel/namespaces.ts';
import { cwdIdentity, readComm, readProcLink, readProcText, rootIdentity } from '../kernel/proc.ts';
import type { Stage } from '../world/stage.ts';
import type { Subject } from './types.ts';
import type { KernelSource } from './view.ts';

/** What a live source needs of a stage (a Stage has it all; tests may pass less). */
export interface LiveWorld {
  readonly labHostPid: number;
  readonly containerInitPid: number;
  foreground(pane: 'host' | 'container'): number | null;
  /** The real pid of a planted process, from the pid the setup wrote. */
  planted(name: string): number | null;
}

export function worldOf(stage: Stage): LiveWorld {
  const world = stage.world;
  return {
    labHostPid: world.labHostPid,
    containerInitPid: stage.containerRealPid,
    foreground: (pane) => stage[pane].foregroundPid(),
    planted(name) {
      const text = world.readLabHostFile(`/run/nslab/planted/${name}`);
      if (!text || !/^\d+\s*$/.test(text)) return null;
      return world.realPid(world.anchorPid, Number(text));
    },
  };
}

const inode = (link: string | null) => (link === null ? null : Number(/\[(\d+)\]/.exec(link)?.[1]));

export class LiveSource implements KernelSource {
  private labPidNs: number | null | undefined;

  constructor(
    private readonly world: LiveWorld,
    private readonly enterUserNs = process.getuid?.() !== 0,
  ) {}

  resolve(subject: Subject): number | null {
    const w = this.world;
    let pid: number | null;
    if (subject === 'lab-host') return w.labHostPid;
    else if (subject === 'container-init') pid = w.containerInitPid;
    else if (subject === 'host' || subject === 'container') pid = w.foreground(subject);
    else {
      const name = subject.slice('planted:'.length);
      pid = w.planted(name);
      // A planted process is named after its role: a pid the lab host reused is not it.
      if (pid !== null && readComm(pid) !== name) pid = null;
    }
    return pid !== null && this.inLabWorld(pid) ? pid : null;
  }

  /**
   * Whether `pid` is in the lab host's pid namespace or one below it. tcgetpgrp() may name a
   * group that is gone, whose number a process outside the lab now has (DESIGN 2b).
   */
  private inLabWorld(pid: number): boolean {
    if (this.labPidNs === undefined) this.labPidNs = inode(readProcLink(this.world.labHostPid, 'ns/pid'));
    const chain = pidNamespaceAncestry(pid);
    return this.labPidNs !== null && chain !== null && chain.includes(this.labPidNs);
  }

  procText(pid: number, rel: string): string | null {
    return readProcText(pid, rel, ['EINVAL']);
  }
  procLink(pid: number, rel: string) {
    return readProcLink(pid, rel);
  }
  dirIdentity(pid: number, which: 'root' | 'cwd') {
    return which === 'root' ? rootIdentity(pid) : cwdIdentity(pid);
  }
  identityAs(pid: number, path: string) {
    const st = statAs(pid, path);
    return st && { dev: st.dev, ino: st.ino };
  }
  readAs(pid: number, path: string) {
    return readFileAs(pid, path);
  }
  listAs(pid: number, path: string) {
    return listAs(pid, path);
  }
  rootMountId(pid: number) {
    return rootMountId(pid);
  }
  mountIdAs(pid: number, path: string) {
    return mountIdAs(pid, path);
  }
  pidAncestry(pid: number) {
    return pidNamespaceAncestry(pid);
  }
  mountTree(pid: number) {
    return readMountTree(pid);
  }
  links(pid: number) {
    return readLinks(pid, this.enterUserNs);
  }
}
