/**
 * Every sentence a student reads about a check, built from (predicate, code, facts, params) in
 * one place, in English, so wording can be reviewed once and translated later. Predicates
 * return codes and facts only.
 */
import { printable } from '../printable.ts';
import type { FactValue, Facts, Subject, Verdict } from './types.ts';

type Params = Record<string, unknown>;
type Found = (facts: Facts, params: Params) => string;

interface Wording {
  readonly expected: (params: Params) => string;
  readonly found: Readonly<Record<string, Found>>;
}

/** "the container pane's shell", "the lab host", ... */
export function who(s: unknown): string {
  switch (s) {
    case 'container':
      return "the container pane's process";
    case 'host':
      return "the host pane's process";
    case 'lab-host':
      return 'the lab host';
    case 'container-init':
      return 'the container';
    default:
      return typeof s === 'string' && s.startsWith('planted:') ? `the ${s.slice(8)} process` : String(s);
  }
}

/** The pane in which a subject's state is made. */
export function pane(s: unknown): string {
  return s === 'container' || s === 'container-init' ? 'the container pane' : 'the host pane';
}

/** How to move a veth end into the namespace of `to`, typed in the host pane. */
function moveTo(to: unknown): string {
  return to === 'lab-host' || to === 'host'
    ? 'move one back from the host pane (nsenter -t $CPID -n ip link set <name> netns 1), or delete the pair and start again'
    : 'move one there from the host pane (ip link set <name> netns $CPID)';
}

const NS_WORDS: Record<string, string> = {
  mount: 'mount', pid: 'pid', net: 'network', uts: 'UTS (hostname)', ipc: 'IPC', cgroup: 'cgroup', user: 'user',
};

const PLACE: Record<string, string> = {
  'lab-host': "the lab host's root",
  rootfs: '$ROOTFS, the container rootfs',
  'rootfs-twin': 'the same path inside $ROOTFS (the container\'s own copy, not the lab host\'s)',
  other: "a directory that is neither the lab host's root nor $ROOTFS",
  gone: 'nothing (the process has exited)',
};

function list(v: FactValue | undefined): string {
  if (Array.isArray(v)) return v.length === 0 ? 'none' : v.join(', ');
  return String(v ?? '');
}

function place(p: Params): string {
  return p.path === '/' ? `${who(p.of ?? 'lab-host')}'s /` : `${p.path}${p.of && p.of !== 'lab-host' ? ` as ${who(p.of)} sees it` : ''}`;
}

const WORDING: Record<string, Wording> = {
  'root.is': {
    expected: (p) => `${who(p.subject)} has ${place(p)} as its root directory`,
    found: {
      pass: (_f, p) => `${who(p.subject)} has ${place(p)} as its root`,
      elsewhere: (f, p) => `the root of ${who(p.subject)} is ${PLACE[String(f.root)] ?? f.root}`,
    },
  },
  'cwd.is': {
    expected: (p) => `${who(p.subject)} works in ${place(p)}`,
    found: {
      pass: (_f, p) => `${who(p.subject)} works in ${place(p)}`,
      elsewhere: (f, p) => `${who(p.subject)} works in ${PLACE[String(f.cwd)] ?? f.cwd}`,
    },
  },
  'mount.at': {
    expected: (p) => `a mount at ${p.path} in the mount namespace of ${who(p.subject)}${p.absentFrom ? `, and none in ${who(p.absentFrom)}'s` : ''}`,
    found: {
      pass: (f, p) => `${who(p.subject)} has a ${f.fstype} mount at ${p.path}${p.absentFrom ? `; ${who(p.absentFrom)} has none` : ''}`,
      missing: (_f, p) => `${p.path} is a plain directory for ${who(p.subject)}: nothing is mounted there`,
      'wrong-namespace': (_f, p) => `the mount at ${p.path} is in ${who(p.absentFrom)}'s mount namespace, not in that of ${who(p.subject)}: make it in ${pane(p.subject)}`,
      'also-in': (_f, p) => `${who(p.subject)} has its mount at ${p.path}, but ${who(p.absentFrom)} has one too (made in ${pane(p.absentFrom)}?): unmount it there`,
      'same-namespace': (_f, p) => `${who(p.subject)} and ${who(p.absentFrom)} share one mount namespace, so a mount cannot be in one and not the other`,
      'wrong-type': (f, p) => `the mount at ${p.path} is ${f.fstype}, not ${p.fstype}`,
    },
  },
  'mount.pivoted': {
    expected: (p) => `${p.root} is the root mount of the mount namespace of ${who(p.subject)} (pivot_root, not chroot)`,
    found: {
      pass: (_f, p) => `${who(p.subject)} has ${p.root} as its root, and it is the root mount of its namespace`,
      'not-in-root': (f, p) => `the root of ${who(p.subject)} is ${PLACE[String(f.found)] ?? f.found}, not ${p.root}`,
      'shared-namespace': (_f, p) => `${who(p.subject)} has ${p.root} as its root, but in the lab host's own mount namespace: that is a chroot (start from a new mount namespace: unshare --mount)`,
      chroot: (f, p) => `${who(p.subject)} has ${p.root} as its root only by chroot: below it, ${f.under} is still the root of its mount namespace, and the escape climbs out to it (use pivot_root)`,
      unsupported: () => 'this kernel cannot list another mount namespace (listmount/statmount need Linux 6.11): nslab cannot tell a pivot from a chroot here',
    },
  },
  'mount.oldRootDetached': {
    expected: (p) => `no mount of the lab host's root filesystem is left anywhere in the mount namespace of ${who(p.subject)}, hidden or not (apart from $ROOTFS itself)`,
    found: {
      pass: (_f, p) => `of the lab host's root filesystem, only $ROOTFS is mounted in the namespace of ${who(p.subject)}`,
      'shared-namespace': (_f, p) => `${who(p.subject)} is in the lab host's own mount namespace: the lab host's whole mount tree is its tree`,
      attached: (f) => `the lab host's root filesystem is still mounted in that namespace at ${list(f.mounts)} (relative to the namespace's root; hidden under a chroot it still counts): detach it with umount -l`,
      unsupported: () => 'this kernel cannot list another mount namespace (listmount/statmount need Linux 6.11)',
    },
  },
  'mount.propagation': {
    expected: (p) => {
      const rel = p.relativeTo ? ` of ${who(p.relativeTo)}'s` : '';
      const what: Record<string, string> = {
        shared: p.relativeTo ? `a peer${rel} mount (shared:N with the same N)` : 'shared (shared:N)',
        slave: p.relativeTo ? `a slave${rel} mount (master:N, where N is its shared:N)` : 'a slave (master:N)',
        private: 'private (neither shared:N nor master:N)',
        unbindable: 'unbindable, with no bind of it left',
      };
      return `${p.path} in the mount namespace of ${who(p.subject)} is ${what[String(p.type)]}`;
    },
    found: {
      pass: (f, p) => `${p.path} of ${who(p.subject)} is ${f.found}${f.reference ? `; ${who(p.relativeTo)}'s is ${f.reference}` : ''}`,
      missing: (_f, p) => `nothing is mounted at ${p.path} in the namespace of ${who(p.subject)}`,
      'wrong-type': (f, p) =>
        `${p.path} of ${who(p.subject)} is ${f.found}${f.reference ? `, ${who(p.relativeTo)}'s is ${f.reference}` : ''}: ${
          p.subject === 'container' ? `start the shell again with the right propagation (unshare --mount --propagation ${p.type === 'slave' ? 'slave, or --propagation unchanged then mount --make-rslave /' : p.type})` : `change it in ${pane(p.subject)} (propagation changes do not propagate)`
        }`,
      'same-namespace': (_f, p) => `${who(p.subject)} shares the mount namespace of ${who(p.relativeTo)}: one table, nothing to propagate (start a new one with unshare --mount in ${pane(p.subject)})`,
      'reference-missing': (_f, p) => `${who(p.relativeTo)} has no mount at ${p.path} any more`,
      'reference-not-shared': (f, p) => `${who(p.relativeTo)}'s ${p.path} is ${f.reference}, not shared: make it shared again (mount --make-shared ${p.path})`,
      'bound-elsewhere': (f, p) => `${p.path} is unbindable now, but a bind of it made before the change is still mounted at ${list(f.binds)}: unmount it`,
    },
  },
  'mount.propagated': {
    expected: (p) =>
      p.arrives
        ? `a mount ${who(p.from)} made at ${p.path}, after the other namespace existed, shows up for ${who(p.to)}`
        : `a mount ${who(p.from)} made at ${p.path} stays in its own namespace: ${who(p.to)} does not get it`,
    found: {
      pass: (_f, p) => (p.arrives ? `the mount made at ${p.path} in ${pane(p.from)} arrived for ${who(p.to)}` : `only ${who(p.from)} has the mount at ${p.path}`),
      'same-namespace': (_f, p) => `${who(p.from)} and ${who(p.to)} share one mount namespace: the same table, nothing needs to propagate (start a new one with unshare --mount in the container pane)`,
      missing: (_f, p) => `nothing is mounted at ${p.path} for ${who(p.from)} yet: mount it in ${pane(p.from)}`,
      'wrong-pane': (_f, p) => `the mount at ${p.path} was made in ${pane(p.to)}, not in ${pane(p.from)}: unmount it and make it in ${pane(p.from)}`,
      copied: (_f, p) => `${p.path} was mounted before the namespace of ${who(p.to)} existed, so unshare copied it: that is not propagation. Unmount it (on both sides) and mount it again now`,
      'not-arrived': (_f, p) => `${who(p.to)} has no mount at ${p.path}: it did not propagate`,
      arrived: (_f, p) => `${who(p.to)} has the mount at ${p.path} too: it propagated`,
      unsupported: () => 'this kernel does not give unique mount ids (statx STATX_MNT_ID_UNIQUE, Linux 6.8): nslab cannot tell who made a mount',
    },
  },
  'cgroup.limited': {
    expected: (p) => `${who(p.subject)} is in a cgroup of its own whose ${p.controller === 'pids' ? 'pids.max' : 'memory limit'} is at most ${p.atMost}`,
    found: {
      pass: (f) => `${f.cgroup} limits it to ${f.limit}${f.controller === 'memory' ? ' bytes' : ' processes'}`,
      'not-moved': (f, p) => `${who(p.subject)} is still in ${f.cgroup === '/' ? "the lab's own cgroup" : '/lab, the cgroup nslab gave the lab'}: make a cgroup below /lab in the ${f.controller} hierarchy and write $CPID into its cgroup.procs from the host pane`,
      'no-limit': (f) => `${f.cgroup} has no ${f.controller} limit (it says max): write one into ${f.controller === 'pids' ? 'pids.max' : 'memory.limit_in_bytes (memory.max on cgroup v2)'}`,
      'too-high': (f) => `${f.cgroup} allows ${f.limit}, more than ${f.atMost}`,
    },
  },
  'cgroup.bounded': {
    expected: (p) => `${who(p.subject)} is in a pids cgroup and a memory cgroup of its own, below /lab, that allow at most ${p.pids} processes and ${p.memory} of memory`,
    found: {
      pass: (f) => `${f.pidsCgroup} allows ${f.pids} processes and ${f.memoryCgroup} ${f.memory} bytes of memory`,
      'not-moved': (f, p) => `${who(p.subject)} is still in ${f.cgroup === '/' ? "the lab's own" : '/lab, the'} ${f.controller} cgroup${f.cgroup === '/' ? '' : ' nslab gave the lab'}: the script makes one below /sys/fs/cgroup/${f.controller}/lab and writes its own pid ($$) into its cgroup.procs before it starts the container`,
      'no-limit': (f) => `${f.cgroup} in the ${f.controller} hierarchy has no limit (it says max): write one into ${f.controller === 'pids' ? 'pids.max' : 'memory.limit_in_bytes (memory.max on cgroup v2)'}`,
      'too-high': (f) => `${f.cgroup} allows ${f.limit}${f.controller === 'memory' ? ' bytes' : ' processes'}, more than ${f.atMost}`,
    },
  },
  'cgroup.hitLimit': {
    expected: (p) => `a fork in ${who(p.subject)}'s cgroup was refused at its pids.max`,
    found: {
      pass: (f) => `the kernel refused ${f.refused} fork${f.refused === 1 ? '' : 's'} in ${f.cgroup} at its limit of ${f.limit}`,
      'not-moved': (_f, p) => `${who(p.subject)} is not in a cgroup of its own: the loop ran under the lab's own, much larger limit`,
      'not-reached': (f) => `no fork in ${f.cgroup} has met its limit of ${f.limit} yet (pids.events says max 0): start more background processes than that in the container pane`,
    },
  },
  'ns.own': {
    expected: (p) => `${who(p.subject)} has a ${NS_WORDS[String(p.ns)]} namespace of its own, not ${who(p.from)}'s`,
    found: {
      pass: (_f, p) => `${who(p.subject)} has its own ${NS_WORDS[String(p.ns)]} namespace`,
      shared: (_f, p) =>
        `${who(p.subject)} still shares ${who(p.from)}'s ${NS_WORDS[String(p.ns)]} namespace${p.ns === 'mount' ? ': a mount or pivot_root there would rearrange the lab host itself' : ''} (start it with unshare --${p.ns})`,
    },
  },
  'ns.sharedWith': {
    expected: (p) => `${who(p.subject)} shares the ${NS_WORDS[String(p.ns)]} namespace of ${who(p.with)}`,
    found: {
      pass: (_f, p) => `${who(p.subject)} shares the ${NS_WORDS[String(p.ns)]} namespace of ${who(p.with)}`,
      own: (_f, p) => `${who(p.subject)} is in a ${NS_WORDS[String(p.ns)]} namespace of its own (did unshare or nsenter run in ${pane(p.subject)}? type exit there)`,
    },
  },
  'proc.ownPidNamespace': {
    expected: (p) => `the proc at ${p.path} of ${who(p.subject)} shows its own pid namespace, where it lists only the container's processes`,
    found: {
      pass: (f, p) => `${p.path} lists ${f.count} processes of the pid namespace of ${who(p.subject)}, which is pid ${f.innerPid} there`,
      'no-proc': (_f, p) => `no proc is mounted on ${p.path} for ${who(p.subject)} (ls ${p.path} would be empty)`,
      'shared-pid-namespace': (f, p) => `${who(p.subject)} shares the lab host's pid namespace, so its ${p.path} lists ${f.count} processes of the lab host (unshare --pid --fork)`,
      'stale-proc': (f, p) => `${who(p.subject)} has its own pid namespace, but ${p.path} is a proc of another one${f.showsLabHost ? ", the lab host's" : ''} (${f.count} processes): mount a fresh proc from inside`,
    },
  },
  'proc.sees': {
    expected: (p) => `the proc at ${p.path} of ${who(p.subject)} lists ${who(p.target)}`,
    found: {
      pass: (f, p) => `${p.path} of ${who(p.subject)} lists ${f.count} processes, ${who(p.target)} (pid ${f.pid}) among them`,
      'no-proc': (f, p) =>
        `nothing is mounted on ${p.path} for ${who(p.subject)}${Array.isArray(f.elsewhere) && f.elsewhere.length > 0 ? `; a proc is mounted at ${list(f.elsewhere)}, but ps and ls look in ${p.path}` : ''}`,
      'not-listed': (f, p) => `${p.path} of ${who(p.subject)} lists ${f.count} processes, but not ${who(p.target)}: that proc belongs to another pid namespace`,
    },
  },
  'proc.outOfReach': {
    expected: (p) => `${who(p.target)} runs out of reach of ${who(p.subject)}: kill cannot name it, and no proc there shows it`,
    found: {
      pass: (_f, p) => `${who(p.target)} is outside the pid namespace of ${who(p.subject)} and out of sight of its procs`,
      signalable: (_f, p) => `${who(p.subject)} is in ${who(p.target)}'s pid namespace (or one above it): kill there still reaches it (unshare --pid --fork)`,
      visible: (f, p) => `kill cannot reach ${who(p.target)}, but a proc at ${list(f.at)} still shows it (mount a fresh proc, or unmount that one)`,
    },
  },
  'proc.alive': {
    expected: (p) => `${who(p.subject)} still runs`,
    found: {
      pass: (f, p) => `${who(p.subject)} (lab-host pid ${f.pid}) runs`,
      stopped: (f, p) => `${who(p.subject)} (lab-host pid ${f.pid}) is stopped (kill -CONT it)`,
    },
  },
  'proc.dead': {
    expected: (p) => `${who(p.subject)} is dead`,
    found: {
      pass: (_f, p) => `${who(p.subject)} is gone`,
      running: (f, p) => `${who(p.subject)} (lab-host pid ${f.pid}) still runs`,
      stopped: (f, p) => `${who(p.subject)} (lab-host pid ${f.pid}) is stopped, not dead: it keeps other signals pending until continued (kill -CONT) or killed with SIGKILL`,
    },
  },
  'proc.killedBy': {
    expected: (p) => `${who(p.subject)} was killed by a process whose root is ${p.root}`,
    found: {
      pass: (_f, p) => `${who(p.subject)} is dead, killed from inside ${p.root}`,
      running: (f, p) => `${who(p.subject)} (lab-host pid ${f.pid}) still runs`,
      stopped: (f, p) => `${who(p.subject)} (lab-host pid ${f.pid}) is stopped, not dead (kill -CONT, or a plain kill)`,
      'wrong-root': (f, p) => `${who(p.subject)} was killed by pid ${f.killer}, whose root is ${f.killerRoot === '/' ? "the lab host's /" : f.killerRoot}: that was ${f.killerRoot === '/' ? 'the host pane' : 'not the container pane'}. Reset the lab (Ctrl-g r) and kill it from ${p.root === '$ROOTFS' ? 'the chroot in the container pane' : p.root}`,
      'unknown-killer': (_f, p) => `${who(p.subject)} is dead, but nslab could not learn who killed it (SIGKILL cannot be caught, and a kill program may exit too soon): reset the lab (Ctrl-g r) and use the shell's own kill with the default signal`,
    },
  },
  'file.has': {
    expected: (p) => {
      const secret = p.secretOf as { subject?: unknown; variable?: unknown } | undefined;
      const what = p.sameAs ? `is the very file ${who(p.sameAs)} has there` : secret ? `holds the ${secret.variable} of ${who(secret.subject)}` : `holds "${p.contains}"`;
      return `${p.path}, as ${who(p.subject)} sees it, ${what}`;
    },
    found: {
      pass: (_f, p) => `${who(p.subject)} sees ${p.path} as the step wants`,
      missing: (_f, p) => `there is no ${p.path} in the view of ${who(p.subject)}`,
      'wrong-pane': (f, p) => `there is no ${p.path} in the view of ${who(p.subject)}; ${who(f.notIn)} has one: it was written in ${pane(f.notIn)}. Do it in ${pane(p.subject)}`,
      different: (f, p) =>
        f.sameAs ? `${p.path} in the view of ${who(p.subject)} is another file than ${who(f.sameAs)}'s` : `${p.path} has ${f.bytes} bytes, but not what the step wants${f.namesVariable ? ' (it names the variable, with another value)' : ''}`,
      'source-gone': (f) => `${who(f.owner ?? f.sameAs)} has nothing to compare with any more: reset the lab (Ctrl-g r)`,
    },
  },
  'veth.pair': {
    expected: (p) => (p.peerIn ? `a veth with one end in ${who(p.subject)}'s network namespace and its peer in ${who(p.peerIn)}'s` : `a veth pair in ${who(p.subject)}'s network namespace`),
    found: {
      pass: (f, p) => (p.peerIn ? `${f.here} in ${who(p.subject)} is paired with ${f.there} in ${who(p.peerIn)}` : `${who(p.subject)} has ${list(f.ends)}`),
      none: (_f, p) => `${who(p.subject)} has no veth at all${p.peerIn ? `, nor has ${who(p.peerIn)}` : ''}`,
      'wrong-namespace': (f, p) => `${who(p.notIn)} has ${list(f.ends)}: it was made in ${pane(p.notIn)}; delete it there (ip link del ${Array.isArray(f.ends) ? f.ends[0] : ''}) and create it in ${pane(p.subject)}`,
      'both-here': (f, p) => `both ends (${list(f.ends)}) are in ${who(p.subject)}'s namespace and none in ${who(p.peerIn)}'s: ${moveTo(p.peerIn)}`,
      'both-there': (f, p) => `both ends (${list(f.ends)}) are in ${who(p.peerIn)}'s namespace and none in ${who(p.subject)}'s: ${moveTo(p.subject)}`,
      'peer-elsewhere': (f) => `${list(f.ends)} has its peer in a network namespace that is neither side's (was the pid after netns the container's? $CPID is)`,
      'same-namespace': (_f, p) => `${who(p.subject)} and ${who(p.peerIn)} share one network namespace`,
    },
  },
  'net.addressed': {
    expected: (p) => `${who(p.subject)}'s end of the veth pair has an IPv4 address and is up`,
    found: {
      pass: (f, p) => `${who(p.subject)}'s end ${f.end} is up with ${list(f.addresses)}`,
      'no-pair': () => 'no veth pair joins the lab host and the container yet',
      'no-address': (f, p) => `${who(p.subject)}'s end ${f.end} has no IPv4 address (ip addr add <address>/<prefix> dev ${f.end})`,
      down: (f, p) => `${who(p.subject)}'s end ${f.end} has ${list(f.addresses)} but is down (ip link set ${f.end} up)`,
      'no-route': (f, p) => `${who(p.subject)}'s end ${f.end} has ${list(f.addresses)} but no route uses it (a /32 address without peer?): give it a prefix such as /24, or a peer`,
    },
  },
  'net.onLink': {
    expected: () => 'two different addresses, and each end has a route to the other\'s (one subnet, or point-to-point peers)',
    found: {
      pass: (f) => `${f.here} has ${list(f.mine)} and ${f.there} has ${list(f.theirs)}; each routes to the other`,
      'no-pair': () => 'no veth pair joins the lab host and the container yet',
      'not-ready': () => 'an end of the pair has no address yet, or is down',
      'same-address': (f) => `both ends have ${list(f.mine)}: each side needs an address of its own`,
      'no-route': (f) => `${f.here} has ${list(f.mine)} and ${f.there} has ${list(f.theirs)}: not one subnet, so a side has no route to the other`,
    },
  },
  'net.pinged': {
    expected: (p) => `a ping from ${who(p.from)} crossed the veth to ${who(p.to)} and was answered`,
    found: {
      pass: (f, p) => `${who(p.to)} answered ${f.answered} echo requests; ${who(p.from)} got ${f.replies} replies`,
      'no-pair': () => 'no veth pair joins the lab host and the container yet',
      'not-sent': (_f, p) => `no ping has been sent from ${who(p.from)} yet (type it in ${pane(p.from)})`,
      'not-across': (f, p) =>
        f.selfReplies
          ? `${who(p.from)} got replies, but from itself: no request crossed the veth to ${who(p.to)}; ping the address of the other end`
          : `${who(p.from)} sent ${f.sent} echo requests, but none crossed the veth to ${who(p.to)}; ping the address of the other end`,
      unanswered: (f, p) => `${who(p.to)} received ${f.received} echo requests but ${who(p.from)} got no reply`,
    },
  },
  // The curriculum's predicates (src/check/uts.ts, user.ts, caps.ts, overlay.ts, programs.ts, joined.ts).
  'uts.hostname': {
    expected: (p) =>
      [
        p.name !== undefined ? `${who(p.subject)} is called "${p.name}"` : p.not !== undefined ? `${who(p.subject)} has a hostname other than "${p.not}"` : '',
        p.outsideIs !== undefined ? `${who(p.outside ?? 'lab-host')} is still called "${p.outsideIs}"` : '',
      ]
        .filter(Boolean)
        .join(', and '),
    found: {
      pass: (f, p) => `${who(p.subject)} is called "${f.hostname}"; ${who(f.outside)} "${f.outsideHostname}"`,
      'shared-namespace': (f, p) => `${who(p.subject)} shares the UTS namespace of ${who(f.outside)} (both "${f.hostname}"): a hostname set there renames both, if it is allowed at all (unshare --uts first)`,
      'outside-renamed': (f) => `${who(f.outside)} is now called "${f.outsideHostname}": the hostname was set in the host pane, or in a shell that shares its UTS namespace (set it back with hostname ${'host'})`,
      'same-name': (f, p) => `${who(p.subject)} is still called "${f.hostname}" (hostname NAME, then exec bash to see it in the prompt)`,
      'other-name': (f, p) => `${who(p.subject)} is called "${f.hostname}", not "${p.name}"`,
    },
  },
  'user.uid': {
    expected: (p) => `${who(p.subject)} runs as uid ${p.uid} ${p.in === 'parent' ? 'as seen from the user namespace it was started from' : 'in its own user namespace'}`,
    found: {
      pass: (f, p) => `${who(p.subject)} is uid ${f.uid} ${p.in === 'parent' ? 'in the namespace it was started from' : 'in its user namespace'}`,
      'other-uid': (f, p) => `${who(p.subject)} is uid ${f.uid} there, not ${p.uid}`,
      unmapped: (_f, p) => `${who(p.subject)}'s uid is not mapped ${p.in === 'parent' ? 'in that namespace' : 'in its user namespace'}, so it shows as 65534 (nobody): write a uid_map (unshare --map-root-user or --map-user)`,
      'shared-namespace': (_f, p) => `${who(p.subject)} is in the lab host's user namespace, not one of its own (unshare --user)`,
    },
  },
  'caps.set': {
    expected: (p) => {
      const parts = [
        p.exactly !== undefined ? ((p.exactly as unknown[]).length === 0 ? 'no capability at all' : `exactly ${list(p.exactly as string[])}`) : '',
        p.has !== undefined ? `${list(p.has as string[])}` : '',
        p.lacks !== undefined ? `none of ${list(p.lacks as string[])}` : '',
      ].filter(Boolean);
      return `the ${p.set ?? 'effective'} capability set of ${who(p.subject)} holds ${parts.join(', and ')}`;
    },
    found: {
      pass: (f, p) => `${who(p.subject)}'s ${f.set} set: ${list(f.caps)}`,
      has: (f, p) => `${who(p.subject)}'s ${f.set} set still holds ${list(f.extra)} (grep Cap /proc/self/status; capsh --decode=MASK names the bits)`,
      lacks: (f, p) => `${who(p.subject)}'s ${f.set} set lacks ${list(f.missing)}`,
    },
  },
  'mount.overlay': {
    expected: (p) => `an overlay mount at ${p.path}, in the view of ${who(p.subject)}, with ${p.lower} as a lower directory and ${p.upper} as its upper directory`,
    found: {
      pass: (_f, p) => `${p.path} is an overlay of ${p.lower} with upper directory ${p.upper}`,
      missing: (_f, p) => `nothing is mounted on ${p.path} (mount -t overlay overlay -o lowerdir=...,upperdir=...,workdir=... ${p.path})`,
      'not-overlay': (f, p) => `${p.path} is a ${f.fstype} mount, not an overlay: writes there would not be copy-on-write`,
      'other-lower': (f, p) => `${p.path} is an overlay of ${list(f.lower)}, not of ${p.lower}`,
      'other-upper': (f, p) => `${p.path} writes into ${f.upper || 'no upper directory'}, not ${p.upper}: each container needs an upper (and work) directory of its own`,
    },
  },
  'overlay.change': {
    expected: (p) => `${p.name} exists in the overlay at ${p.path} and in its upper directory only, not in the image`,
    found: {
      pass: (f, p) => `${p.name} is in ${p.path} and in ${f.upper}; the image has none`,
      'no-overlay': (_f, p) => `there is no overlay mounted at ${p.path}`,
      missing: (_f, p) => `there is no ${p.name} in ${p.path}`,
      'in-image': (f, p) => `${p.name} is in the image (${list(f.lower)}) itself: it was written there, not through ${p.path}. Remove it from the image and write through the overlay`,
      'not-in-upper': (_f, p) => `${p.name} shows in ${p.path} but is not in its upper directory`,
    },
  },
  'mount.readOnly': {
    expected: (p) => `${p.path} is a ${p.readOnly === false ? 'writable' : 'read-only'} mount in the view of ${who(p.subject)}`,
    found: {
      pass: (f, p) => `${p.path} is mounted ${p.readOnly === false ? 'writable' : 'read-only'} (${list(f.options)})`,
      missing: (_f, p) => `nothing is mounted on ${p.path} in the view of ${who(p.subject)}: a mount made in another mount namespace does not reach it unless it propagates (nsenter --mount=/proc/$CPID/ns/mnt ...)`,
      writable: (f, p) => `${p.path} is mounted writable (${list(f.options)}): bind it with -o ro`,
      'read-only': (f, p) => `${p.path} is mounted read-only (${list(f.options)})`,
    },
  },
  'proc.runs': {
    expected: (p) => `${who(p.subject)} runs ${p.comm}${p.in ? ` in the pid namespace of ${who(p.in)}` : ''}`,
    found: {
      pass: (_f, p) => `${who(p.subject)} runs ${p.comm}`,
      'other-program': (f, p) => `${who(p.subject)} runs ${f.comm || 'nothing nslab can name'}, not ${p.comm}`,
      stopped: (_f, p) => `${who(p.subject)}'s ${p.comm} is stopped (fg resumes it)`,
      outside: (_f, p) => `${p.comm} runs, but outside the pid namespace of ${who(p.in)}: start it from a shell inside it`,
    },
  },
  'proc.noneNamed': {
    expected: (p) => `no ${p.comm} is left in the pid namespace of ${who(p.in)}`,
    found: {
      pass: (_f, p) => `no ${p.comm} runs in the pid namespace of ${who(p.in)}`,
      running: (f, p) => `${f.running} ${p.comm} still run${f.running === 1 ? 's' : ''} in the pid namespace of ${who(p.in)}`,
      stopped: (f, p) => `${f.stopped} ${p.comm} ${f.stopped === 1 ? 'is' : 'are'} stopped, not killed (kill without -STOP sends SIGTERM)`,
    },
  },
  'ns.joined': {
    expected: (p) => `${who(p.subject)} is in every namespace of ${who(p.with)}${p.root === false ? '' : ', and in its root directory'}`,
    found: {
      pass: (_f, p) => `${who(p.subject)} has joined every namespace of ${who(p.with)}`,
      own: (f, p) => `${who(p.subject)} is not in the ${list(f.namespaces)} namespace${Array.isArray(f.namespaces) && f.namespaces.length === 1 ? '' : 's'} of ${who(p.with)} (nsenter -t $CPID -a)`,
      'other-root': (f, p) => `${who(p.subject)} is in the namespaces of ${who(p.with)}, but its root is ${PLACE[String(f.root)] ?? f.root}: joining a mount namespace puts you at its root, not in a chroot inside it (nsenter -r)`,
    },
  },
};

const COMMON: Record<string, Found> = {
  gone: (f) => `${who(f.subject as Subject)} has exited (reset the lab with Ctrl-g r if it was the lab's)`,
  error: (f) => `the check could not run: ${f.why}`,
};

export function message(name: string, params: unknown, verdict: Verdict): { expected: string; found: string } {
  const wording = WORDING[name];
  const p = (params ?? {}) as Params;
  const expected = wording ? wording.expected(p) : name;
  const found = COMMON[verdict.code] ?? wording?.found[verdict.code];
  // `found` quotes what the lab shows (names, paths): never raw to a terminal.
  return { expected: printable(expected), found: printable(found ? found(verdict.facts, p) : `${verdict.code}`) };
}

/** Predicates that have wording, for the test that every declared code has a sentence. */
export const WORDED = WORDING;
