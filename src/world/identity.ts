/**
 * Who the lab runs as. Lab root must never be the real root: a user namespace whose root maps
 * to real uid 0 can open global sysctls for writing, because /proc/sys permission checks
 * compare the kernel uid with GLOBAL_ROOT_UID. So when nslab is started by root it first drops
 * to an unused uid, and the lab's root maps to that uid alone.
 */
import { readFileSync } from 'node:fs';

/** Where the search for an unused uid starts (the first id of the customary subordinate range). */
export const LAB_UID_SEARCH_START = 100_000;

/**
 * The first uid (and gid of the same number) from LAB_UID_SEARCH_START that no account, no group
 * and no subordinate-id range in /etc/subuid or /etc/subgid uses: lab processes then share their
 * real uid with nothing else on the machine, not even a user's rootless containers.
 */
export function unusedLabUid(etc = '/etc'): number {
  const taken: Array<[number, number]> = [];
  for (const file of ['passwd', 'group']) {
    for (const line of readLines(`${etc}/${file}`)) {
      const id = Number(line.split(':')[2]);
      if (Number.isInteger(id)) taken.push([id, id]);
    }
  }
  for (const file of ['subuid', 'subgid']) {
    for (const line of readLines(`${etc}/${file}`)) {
      const [, start, count] = line.split(':').map(Number);
      if (Number.isInteger(start) && Number.isInteger(count) && count! > 0) taken.push([start!, start! + count! - 1]);
    }
  }
  let uid = LAB_UID_SEARCH_START;
  for (let moved = true; moved; ) {
    moved = false;
    for (const [first, last] of taken) {
      if (uid >= first && uid <= last) {
        uid = last + 1;
        moved = true;
      }
    }
  }
  return uid;
}

function readLines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  } catch {
    return [];
  }
}

export interface LabIdentity {
  /** The real uid that owns every lab process. */
  readonly uid: number;
  /** The command prefix that starts level 1 with that uid and a parent-death signal. */
  readonly launchPrefix: readonly string[];
  /** Extra nsenter flags needed to enter the lab's user namespace as this owner. */
  readonly nsenterCredentials: readonly string[];
}

export function labIdentity(realUid = process.getuid?.() ?? 0): LabIdentity {
  // --pdeathsig KILL: when nslab dies for any reason the kernel kills level 1, which is pid 1
  // of the lab's pid namespace, and with it every lab process (pid_namespaces(7)).
  if (realUid === 0) {
    const labUid = unusedLabUid();
    const uid = String(labUid);
    return {
      uid: labUid,
      launchPrefix: ['setpriv', '--reuid', uid, '--regid', uid, '--clear-groups', '--pdeathsig', 'KILL', '--'],
      // Real root entering the lab's user namespace becomes its root (uid 100000) through
      // nsenter's setuid(0)/setgid(0); --preserve-credentials would keep kernel uid 0.
      nsenterCredentials: [],
    };
  }
  return {
    uid: realUid,
    launchPrefix: ['setpriv', '--pdeathsig', 'KILL', '--'],
    // An ordinary owner cannot call setgroups(2) in a namespace mapped with
    // --map-root-user (setgroups is "deny" there, user_namespaces(7)); keep credentials.
    nsenterCredentials: ['--preserve-credentials'],
  };
}
