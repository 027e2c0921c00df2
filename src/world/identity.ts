/**
 * Who the lab runs as. Lab root must never be the real root: a user namespace whose root maps
 * to real uid 0 can open global sysctls for writing, because /proc/sys permission checks
 * compare the kernel uid with GLOBAL_ROOT_UID. So when nslab is started by root it first drops
 * to an otherwise unused uid, and the lab's root maps to that uid alone.
 */
export const LAB_UID_WHEN_ROOT = 100_000;

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
    const uid = String(LAB_UID_WHEN_ROOT);
    return {
      uid: LAB_UID_WHEN_ROOT,
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
