/**
 * One memoized view of the kernel per check run (docs/lab-format.md): every predicate of a
 * step reads through it, so several checks asking the same question cost one read, and all of
 * them see the same subjects.
 *
 * The view never runs anything the lab controls. It reads /proc from nslab's side (files inside
 * a process's root through in-root.ts), asks the kernel for a mount namespace's whole tree with
 * listmount(2)/statmount(2), and gets links and addresses from nslab's own `ip` (see net.ts in
 * src/kernel). Where the data comes from is a `KernelSource`: the live kernel, or a recording
 * of it (test/fixtures) so predicates can be unit-tested on real, recorded states.
 */
import { findMount, parseMountinfo, type MountEntry } from '../kernel/mountinfo.ts';
import type { MountNode } from '../kernel/mounttree.ts';
import type { IpLink } from '../kernel/netlink.ts';
import { NS_TYPES, type Namespaces, type NsType } from '../kernel/namespaces.ts';
import { parseEnviron, parseStatStartTime, parseStatus, sameIdentity, type FileIdentity, type ProcStatus } from '../kernel/proc.ts';
import { parseArp, parseIcmpCounters, parseRoutes, type ArpEntry, type IcmpCounters, type Route } from '../kernel/net.ts';
import type { NamespaceName, Subject } from './types.ts';

/** $ROOTFS: the container's root directory as the lab host sees it. */
export const ROOTFS = '/labs/rootfs';

/**
 * Where a view's data comes from. Every pid here is a real pid (nslab's numbering) that the
 * source has confirmed to belong to the lab world; every method gives null when it is gone.
 */
export interface KernelSource {
  /** The real pid of a subject, resolved and confirmed; null when there is no such process. */
  resolve(subject: Subject): number | null;
  /** Text of /proc/<pid>/<rel> (status, mountinfo, stat, environ, net/route, net/snmp, net/arp, ...). */
  procText(pid: number, rel: string): string | null;
  /** readlink of /proc/<pid>/<rel> (ns/mnt, ...). */
  procLink(pid: number, rel: string): string | null;
  /** dev+ino of the process's root or working directory. */
  dirIdentity(pid: number, which: 'root' | 'cwd'): FileIdentity | null;
  /** dev+ino of `path` as the process sees it (its root, its mounts). */
  identityAs(pid: number, path: string): FileIdentity | null;
  /** A regular file's text as the process sees it, if that process could read it. */
  readAs(pid: number, path: string): string | null;
  /** A directory's entries as the process sees it. */
  listAs(pid: number, path: string): string[] | null;
  /** The unique (never reused) id of the mount the process's root is on (statx STATX_MNT_ID_UNIQUE). */
  rootMountId(pid: number): bigint | null;
  /** The unique id of the mount `path` is on, as the process sees it. */
  mountIdAs(pid: number, path: string): bigint | null;
  /** Inodes of the process's pid namespace and its ancestors, innermost first. */
  pidAncestry(pid: number): number[] | null;
  /** Every mount of the process's mount namespace, hidden ones included (listmount/statmount). */
  mountTree(pid: number): MountNode[] | null;
  /** Links of the process's network namespace with their addresses (nslab's own ip -j). */
  links(pid: number): Promise<IpLink[] | null>;
}

/** What the view knows about one subject, read lazily and at most once. */
export class ProcView {
  private readonly memo = new Map<string, unknown>();

  constructor(
    private readonly source: KernelSource,
    readonly subject: Subject,
    /** Real pid, confirmed to be in the lab world. */
    readonly pid: number,
  ) {}

  private once<T>(key: string, read: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, read());
    return this.memo.get(key) as T;
  }

  status(): ProcStatus | null {
    return this.once('status', () => {
      const text = this.source.procText(this.pid, 'status');
      return text === null ? null : parseStatus(text);
    });
  }

  /** False for a zombie: it has lost its namespaces, root and mounts. */
  alive(): boolean {
    const s = this.status();
    return s !== null && s.state !== 'Z' && s.state !== 'X';
  }

  comm(): string | null {
    return this.once('comm', () => this.source.procText(this.pid, 'comm')?.replace(/\n$/, '') ?? null);
  }

  /** Its pid in its own (innermost) pid namespace. */
  innerPid(): number | null {
    return this.status()?.nspid.at(-1) ?? null;
  }

  /** The pid the lab host knows it by. */
  labHostPid(): number | null {
    return this.status()?.nspid[LAB_HOST_PID_LEVEL] ?? null;
  }

  namespaces(): Namespaces | null {
    return this.once('ns', () => {
      if (!this.alive()) return null;
      const result = {} as Namespaces;
      for (const type of NS_TYPES) result[type] = this.source.procLink(this.pid, `ns/${type}`);
      return Object.values(result).some((v) => v !== null) ? result : null;
    });
  }

  ns(name: NamespaceName): string | null {
    return this.namespaces()?.[nsType(name)] ?? null;
  }

  mountinfo(): MountEntry[] | null {
    return this.once('mountinfo', () => {
      const text = this.source.procText(this.pid, 'mountinfo');
      return text === null ? null : parseMountinfo(text);
    });
  }

  /** The visible mount at `path` in its view. */
  mountAt(path: string): MountEntry | undefined {
    const mounts = this.mountinfo();
    return mounts ? findMount(mounts, path) : undefined;
  }

  root(): FileIdentity | null {
    return this.once('root', () => this.source.dirIdentity(this.pid, 'root'));
  }

  cwd(): FileIdentity | null {
    return this.once('cwd', () => this.source.dirIdentity(this.pid, 'cwd'));
  }

  identityOf(path: string): FileIdentity | null {
    return this.once(`id:${path}`, () => this.source.identityAs(this.pid, path));
  }

  read(path: string): string | null {
    return this.once(`read:${path}`, () => this.source.readAs(this.pid, path));
  }

  list(path: string): string[] | null {
    return this.once(`list:${path}`, () => this.source.listAs(this.pid, path));
  }

  rootMountId(): bigint | null {
    return this.once('rootmnt', () => this.source.rootMountId(this.pid));
  }

  mountIdOf(path: string): bigint | null {
    return this.once(`mntid:${path}`, () => this.source.mountIdAs(this.pid, path));
  }

  pidAncestry(): number[] | null {
    return this.once('pidns', () => this.source.pidAncestry(this.pid));
  }

  /** Every mount of its mount namespace, including those its root hides. */
  mountTree(): MountNode[] | null {
    return this.once('tree', () => this.source.mountTree(this.pid));
  }

  environ(): Record<string, string> | null {
    return this.once('environ', () => {
      const text = this.source.procText(this.pid, 'environ');
      return text === null ? null : parseEnviron(text);
    });
  }

  /** Stat field 22 (start time): what tells this process from a later one with its pid. */
  startTime(): string | null {
    return this.once('start', () => {
      const text = this.source.procText(this.pid, 'stat');
      return text === null ? null : parseStatStartTime(text);
    });
  }

  // Network namespace, from /proc/<pid>/net/* and nslab's ip.
  routes(): Route[] | null {
    return this.once('routes', () => {
      const text = this.source.procText(this.pid, 'net/route');
      return text === null ? null : parseRoutes(text);
    });
  }

  icmp(): IcmpCounters | null {
    return this.once('icmp', () => {
      const text = this.source.procText(this.pid, 'net/snmp');
      return text === null ? null : parseIcmpCounters(text);
    });
  }

  arp(): ArpEntry[] | null {
    return this.once('arp', () => {
      const text = this.source.procText(this.pid, 'net/arp');
      return text === null ? null : parseArp(text);
    });
  }

  links(): Promise<IpLink[] | null> {
    return this.once('links', () => this.source.links(this.pid));
  }
}

/** Nesting of the lab host's pid namespace: real machine 0, level 1, lab host 2. */
export const LAB_HOST_PID_LEVEL = 2;

export function nsType(name: NamespaceName): NsType {
  return name === 'mount' ? 'mnt' : name;
}

export class KernelView {
  private readonly procs = new Map<Subject, ProcView | null>();
  private readonly byPid = new Map<number, ProcView>();

  constructor(readonly source: KernelSource) {}

  /** $ROOTFS and other variables a parameter may name. */
  expand(path: string): string {
    return path.replace(/^\$ROOTFS(?=\/|$)/, ROOTFS);
  }

  /** The subject's process, resolved once per run; null when it is gone (verdict 'gone'). */
  subject(name: Subject): ProcView | null {
    if (!this.procs.has(name)) {
      const pid = this.source.resolve(name);
      const proc = pid === null ? null : this.procAt(pid, name);
      this.procs.set(name, proc && proc.alive() ? proc : null);
    }
    return this.procs.get(name) ?? null;
  }

  /** The lab host's init: the reference "outside". Never null while the world runs. */
  get labHost(): ProcView | null {
    return this.subject('lab-host');
  }

  /** One ProcView per real pid, whichever subject names it (several roles may be one process). */
  private procAt(pid: number, name: Subject): ProcView {
    let proc = this.byPid.get(pid);
    if (!proc) {
      proc = new ProcView(this.source, name, pid);
      this.byPid.set(pid, proc);
    }
    return proc;
  }

  /** What a process's root is, for verdict facts: the lab host's root, $ROOTFS, or other. */
  rootKind(proc: ProcView): 'lab-host' | 'rootfs' | 'other' | 'gone' {
    return this.placeOf(proc.root());
  }

  placeOf(id: FileIdentity | null): 'lab-host' | 'rootfs' | 'other' | 'gone' {
    if (id === null) return 'gone';
    const host = this.labHost;
    if (sameIdentity(id, host?.root() ?? null)) return 'lab-host';
    if (sameIdentity(id, host?.identityOf(ROOTFS) ?? null)) return 'rootfs';
    return 'other';
  }
}
