/**
 * What a test may never change on the real machine: its mount table, its network links, and
 * the processes it leaves behind. Tests snapshot these before starting lab worlds and assert
 * they are exactly the same afterwards.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { isAlive } from '../../src/kernel/proc.ts';
import { descendantsOf } from '../../src/world/pids.ts';

export interface HostSnapshot {
  readonly mounts: string;
  readonly links: string;
}

export function hostSnapshot(): HostSnapshot {
  return {
    mounts: readFileSync('/proc/self/mountinfo', 'utf8'),
    // -o: one line per link; addresses and counters left out, they change on their own.
    links: execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.replace(/link\/\S+ \S+ brd \S+.*$/, '').trim())
      .join('\n'),
  };
}

/** Processes this test process started and that are still around (zombies excluded). */
export function leftoverProcesses(): string[] {
  return descendantsOf(process.pid)
    .map((pid) => {
      try {
        if (!isAlive(pid)) return null;
        return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
      } catch {
        return null;
      }
    })
    .filter((p): p is string => p !== null);
}

/** Lab worlds started by this test process that are still running (by their level-1 command). */
export function runningWorlds(): number {
  return leftoverProcesses().filter((p) => / unshare --user --map-root-user --mount --pid --fork --kill-child -- sh -c eval "\$NSLAB_LEVEL1" nslab-world$/.test(p)).length;
}

/** Gone: no such process, or only a zombie waiting to be reaped. */
export function isGone(pid: number): boolean {
  return !isAlive(pid);
}

/** Waits until `predicate` holds, polling; false after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

/**
 * The guard of every test file that starts lab worlds: before it, snapshot the real machine
 * (and have the container image ready); after it, the mount table and links must be exactly
 * as before and no process the file started may be left. Call it first in the file: vitest
 * runs "after" hooks in reverse order, so the guard checks after the file's own clean-up.
 */
export function guardRealMachine(prepare: () => Promise<unknown> = async () => {}): () => HostSnapshot {
  let before: HostSnapshot;
  beforeAll(async () => {
    await prepare();
    before = hostSnapshot();
  });
  afterAll(() => {
    expect(hostSnapshot()).toEqual(before);
    expect(leftoverProcesses()).toEqual([]);
  });
  /** The snapshot taken before the file's tests, for tests that compare midway. */
  return () => before;
}

/**
 * cgroup directories of the lab worlds of nslab process `pid` (src/world/limits.ts names them
 * nslab-<owner pid>-…), found at any depth under /sys/fs/cgroup: whatever the mechanism, none
 * may outlive the process.
 */
export function nslabCgroupsOf(pid: number): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.startsWith(`nslab-${pid}-`)) found.push(join(dir, name));
      else if (depth < 4) walk(join(dir, name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}
