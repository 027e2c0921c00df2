/**
 * Who the lab runs as. Lab root must never be the real root: a user namespace whose root maps
 * to real uid 0 can open global sysctls for writing, because /proc/sys permission checks
 * compare the kernel uid with GLOBAL_ROOT_UID. So when nslab is started by root it first drops
 * to an unused uid, and the lab's root maps to that uid alone.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { NslabError } from '../errors.ts';
import { listPids, readStatus } from '../kernel/proc.ts';

/** Where the search for an unused uid starts (the first id of the customary subordinate range). */
export const LAB_UID_SEARCH_START = 100_000;

/** Ids an account, a group or a subordinate-id range of /etc/subuid or /etc/subgid uses. */
function takenIdRanges(etc: string): Array<[number, number]> {
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
  return taken;
}

/**
 * The uids from LAB_UID_SEARCH_START upwards that no account, no group and no subordinate-id
 * range uses, in order: lab processes then share their real uid with nothing else on the
 * machine, not even a user's rootless containers.
 */
export function* unusedLabUids(etc = '/etc'): Generator<number> {
  const taken = takenIdRanges(etc);
  for (let uid = LAB_UID_SEARCH_START; uid < 2 ** 31; uid++) {
    let moved = true;
    while (moved) {
      moved = false;
      for (const [first, last] of taken) {
        if (uid >= first && uid <= last) {
          uid = last + 1;
          moved = true;
        }
      }
    }
    yield uid;
  }
}

/** The first of unusedLabUids (what `nslab doctor` probes with). */
export function unusedLabUid(etc = '/etc'): number {
  return unusedLabUids(etc).next().value!;
}

/** How many unused uids a root-started nslab tries before it gives up. */
const UID_CANDIDATES = 4096;

/**
 * The uid this root-started nslab instance runs its labs as, claimed for the life of the
 * process. Per-uid kernel quotas (keys, RLIMIT_NPROC, inotify instances, message queues...)
 * must not be shared between instances, so each takes a uid that is unused on the machine and:
 *   - claimed by no other instance: a claim is a listening socket in the abstract namespace,
 *     `@nslab-lab-uid-<uid>`; bind(2) is atomic, so two instances starting together cannot both
 *     get it, and the kernel drops it when its process dies (unix(7), "Abstract sockets"), so
 *     no lock file is ever left behind. Lab worlds have network namespaces of their own and
 *     cannot see or take these names;
 *   - run by no process, and holding no keys (/proc/key-users, keyrings(7)): keys outlive the
 *     processes that made them, and a uid that inherited them would inherit a used-up quota.
 */
export function claimLabUid(etc = '/etc'): Promise<number> {
  claim ??= findAndClaim(etc);
  return claim;
}

let claim: Promise<number> | undefined;

async function findAndClaim(etc: string): Promise<number> {
  const busy = new Set([...uidsOfProcesses(), ...uidsWithKeys()]);
  let tried = 0;
  for (const uid of unusedLabUids(etc)) {
    if (++tried > UID_CANDIDATES) break;
    if (busy.has(uid)) continue;
    if (await listenOnce(`\0nslab-lab-uid-${uid}`)) return uid;
  }
  throw new NslabError(
    `No free uid for the lab: the first ${UID_CANDIDATES} unused uids from ${LAB_UID_SEARCH_START} are all taken by processes, keys or other nslab instances.`,
    'Stop other nslab instances, or run nslab as an ordinary user.',
  );
}

/** true once `name` is ours; false when another process holds it. */
function listenOnce(name: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    server.listen(name, () => {
      server.unref(); // held until the process exits, which must not wait for it
      resolve(true);
    });
  });
}

function uidsOfProcesses(): number[] {
  const uids: number[] = [];
  for (const pid of listPids()) {
    uids.push(...(readStatus(pid)?.uid ?? []));
  }
  return uids;
}

/** /proc/key-users: "  <uid>:  <usage> <nkeys>/<nikeys> ..." for every uid with keys. */
function uidsWithKeys(): number[] {
  try {
    return [...readFileSync('/proc/key-users', 'utf8').matchAll(/^\s*(\d+):/gm)].map((m) => Number(m[1]));
  } catch {
    return [];
  }
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

/**
 * How the lab is run for `realUid`. Root: as `labUid` (default: the first unused uid, for
 * probes; a world uses `claimedLabIdentity()`), an ordinary user: as themselves.
 */
export function labIdentity(realUid = process.getuid?.() ?? 0, labUid = realUid === 0 ? unusedLabUid() : realUid): LabIdentity {
  // --pdeathsig KILL: when nslab dies for any reason the kernel kills level 1, which is pid 1
  // of the lab's pid namespace, and with it every lab process (pid_namespaces(7)).
  if (realUid === 0) {
    const uid = String(labUid);
    return {
      uid: labUid,
      launchPrefix: ['setpriv', '--reuid', uid, '--regid', uid, '--clear-groups', '--pdeathsig', 'KILL', '--'],
      // Real root entering the lab's user namespace becomes its root (the lab uid) through
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

/** The identity lab worlds of this process run with: as root, with a uid of its own. */
export async function claimedLabIdentity(realUid = process.getuid?.() ?? 0): Promise<LabIdentity> {
  return realUid === 0 ? labIdentity(0, await claimLabUid()) : labIdentity(realUid);
}
