/**
 * What a check sees: real pids of the processes that matter, read from the kernel at the
 * moment the checks run, plus a few ways to look at files and run probes in the lab host.
 * Everything is read through /proc from the real machine; nothing here trusts typed text.
 */
import { existsAs, listAs, readFileAs } from '../kernel/in-root.ts';
import type { Stage } from '../world/stage.ts';
import type { ExecResult } from '../world/world.ts';
import { LAB_HOST_ROOTFS } from '../world/world.ts';
import type { PaneName } from './types.ts';

export interface CheckContext {
  /** Real pid of the lab host's init: "the lab host" in every comparison. */
  readonly labHost: number;
  /** Real pid of the process group leader in the foreground of each pane (null: pane exited). */
  readonly foreground: Readonly<Record<PaneName, number | null>>;
  /** Real pid of the container's first process ($CPID in the host pane). */
  readonly containerInit: number;
  /** $ROOTFS, the container's root directory as the lab host sees it. */
  readonly rootfs: string;
  /** A process the lab's setup planted (it wrote its pid to /run/nslab/planted/<name>); null if none was. */
  planted(name: string): PlantedProcess | null;
  /** A file's text as process `pid` sees it (its root, its mounts), or null. */
  readFileAs(pid: number, path: string): string | null;
  /** Whether `path` exists for process `pid`. */
  existsAs(pid: number, path: string): boolean;
  /** Entries of a directory as process `pid` sees it, or null. */
  listAs(pid: number, path: string): string[] | null;
  /** Runs a script as root in the lab host, for state that /proc does not show. */
  exec(script: string): Promise<ExecResult>;
}

/** A process planted by a lab's setup, by the pid it wrote to /run/nslab/planted/<name>. */
export interface PlantedProcess {
  /** The pid the setup wrote: the process's pid in the lab host. It outlives the process. */
  readonly labHostPid: number;
  /** Its real pid; null when no process of the lab world has that lab-host pid (any more). */
  readonly real: number | null;
}

export function checkContext(stage: Stage): CheckContext {
  const world = stage.world;
  return {
    labHost: world.labHostPid,
    foreground: { host: stage.host.foregroundPid(), container: stage.container.foregroundPid() },
    containerInit: stage.containerRealPid,
    rootfs: LAB_HOST_ROOTFS,
    planted(name) {
      const text = world.readLabHostFile(`/run/nslab/planted/${name}`);
      if (!text || !/^\d+\s*$/.test(text)) return null;
      const labHostPid = Number(text);
      return { labHostPid, real: world.realPid(world.anchorPid, labHostPid) };
    },
    readFileAs,
    existsAs,
    listAs,
    exec: (script) => world.exec(script),
  };
}
