/**
 * Mount propagation: shared, private, slave and unbindable, each seen from both sides. The lab
 * host's /mnt/shared is a shared mount; the student starts a new mount namespace in the
 * container pane with `unshare --mount --propagation <type> bash`, mounts something under
 * /mnt/shared on each side, and looks at which side sees what.
 *
 * Follows seed 003 ("Mini Container Series", part 1: bind mounts, mount namespaces, the four
 * propagation types, the agent's and the container's view of mountinfo; a slave receives the
 * host's mounts and keeps its own to itself).
 *
 * Kernel facts this lab relies on (verified on this machine kind, inside the lab world):
 * - The lab host's mounts are private (it was made with unshare(1), whose default is private),
 *   so the setup makes /mnt/shared a mount point of its own (a bind onto itself) and shares it.
 * - unshare(1) with --propagation shared|unchanged keeps the container's /mnt/shared in the
 *   host's peer group (shared:N on both sides); private cuts it off (no optional field); slave
 *   makes it master:N. Propagation-type changes themselves never propagate.
 * - A namespace made by unshare starts with a COPY of every mount that exists at that moment.
 *   Such a copy looks exactly like a propagated mount (same peer group or master), so the peer
 *   fields alone cannot tell "propagated" from "already there". What can: /proc/<pid>/mountinfo
 *   lists a namespace's mounts in the order they were made there (older kernels keep a list
 *   that new mounts are appended to; 6.8+ sort by the never-reused 64-bit mount id). The copies
 *   made by unshare come in tree order, and the setup mounts /srv after /mnt/shared: in the new
 *   namespace a mount under /mnt/shared listed BEFORE /srv was copied when the namespace was
 *   made, one listed AFTER /srv arrived later. (The short mount ids in field 1 are reused and
 *   tell nothing.)
 * - `mount --make-unbindable` on the host's /mnt/shared: `mount --bind` of it then fails with
 *   EINVAL ("wrong fs type, bad option, ..."). It also takes the mount out of its peer group,
 *   and a peer group that loses its last member frees its slaves: the container's slave copy
 *   loses its master:N and receives nothing more from the host.
 * - Whether a namespace copy of an unbindable mount stays unbindable differs between kernels
 *   (6.18 drops the flag in the copy), so the lab never asks for that.
 */
import { findMount, propagationName, readMountinfo, type MountEntry } from '../src/kernel/mountinfo.ts';
import { describeProcess, shareNamespace } from '../src/labs/facts.ts';
import type { CheckContext } from '../src/labs/context.ts';
import type { Check, CheckResult, Lab } from '../src/labs/legacy.ts';

const SHARED = '/mnt/shared';
/** Mounted by the setup after /mnt/shared: the reference point for "made after the unshare". */
const MARKER = '/srv';

type StepKind = 'shared' | 'private' | 'slave';

/** What a mount's optional fields say, for messages: "shared:3", "master:1", "private", ... */
function propagationText(entry: MountEntry): string {
  const name = propagationName(entry);
  if (name === 'private' || name === 'unbindable') return name;
  return entry.optionalFields.filter((f) => /^(shared|master):/.test(f)).join(' ');
}

/** Both sides of the lab, or a failed result that says why they cannot be compared. */
interface Sides {
  /** The lab host's mount table (its init's view). */
  readonly host: MountEntry[];
  /** The container pane's foreground process, in a mount namespace of its own. */
  readonly ctPid: number;
  readonly ct: MountEntry[];
}

function sides(ctx: CheckContext, expected: string): Sides | CheckResult {
  const fail = (found: string): CheckResult => ({ pass: false, expected, found });
  const hostPane = ctx.foreground.host;
  if (hostPane === null) return fail('the host pane has exited');
  if (!shareNamespace(hostPane, ctx.labHost, 'mnt')) {
    return fail(
      `the host pane runs ${describeProcess(hostPane)} in a mount namespace of its own (unshare or nsenter typed in the host pane?): type \`exit\` there; the host pane is the lab host, and unshare belongs in the container pane`,
    );
  }
  const ctPid = ctx.foreground.container;
  if (ctPid === null) return fail('the container pane has exited');
  if (shareNamespace(ctPid, ctx.labHost, 'mnt')) {
    return fail(
      `the container pane runs ${describeProcess(ctPid)} in the lab host's own mount namespace: both panes see one and the same mount table, so nothing needs to propagate. Start a shell in a new one with \`unshare --mount ...\``,
    );
  }
  const host = readMountinfo(ctx.labHost);
  if (!host) return fail('the lab host is gone');
  const ct = readMountinfo(ctPid);
  if (!ct) return fail(`${describeProcess(ctPid)} in the container pane has exited`);
  return { host, ctPid, ct };
}

function isResult(value: unknown): value is CheckResult {
  return typeof value === 'object' && value !== null && 'pass' in value;
}

/**
 * Whether `entry` in namespace `mounts` was copied when the namespace was made (true), arrived
 * afterwards (false), or cannot be told because /srv is gone from it (null). See the header.
 */
function copiedAtCreation(mounts: readonly MountEntry[], entry: MountEntry): boolean | null {
  const marker = mounts.findIndex((m) => m.mountPoint === MARKER);
  if (marker < 0) return null;
  return mounts.indexOf(entry) < marker;
}

/** Without the marker, a copy cannot be told from propagation: that proves nothing, so it fails. */
const MARKER_GONE = `${MARKER} is no longer mounted in the container's namespace, and without it nslab cannot tell a copied mount from a propagated one: reset the lab (Ctrl-g r)`;

const COPIED =
  'it was already mounted when the namespace was made, so unshare gave the namespace a copy: that is not propagation. Unmount it (`umount` on both sides) and mount it again now that the namespace exists';

/** The namespace check of a step: own mount namespace, and /mnt/shared related to the host's as `kind` wants. */
function namespaceCheck(kind: StepKind): Check {
  const wanted: Record<StepKind, string> = {
    shared: "in the same peer group as the lab host's (shared:N with the host's N)",
    private: 'private (no shared:N, no master:N): cut off from the host',
    slave: "a slave of the lab host's peer group (master:N with the host's N)",
  };
  const titles: Record<StepKind, string> = {
    shared: "The container's shell has its own mount namespace, where /mnt/shared is a peer of the host's",
    private: "The container's shell has its own mount namespace, where /mnt/shared is private",
    slave: "The container's shell has its own mount namespace, where /mnt/shared is a slave of the host's",
  };
  return {
    id: 'namespace',
    title: titles[kind],
    run(ctx) {
      const expected = `the container pane's shell in a mount namespace of its own, with /mnt/shared ${wanted[kind]}`;
      const s = sides(ctx, expected);
      if (isResult(s)) return s;
      const fail = (found: string): CheckResult => ({ pass: false, expected, found });
      const hostMount = findMount(s.host, SHARED);
      const ctMount = findMount(s.ct, SHARED);
      if (!hostMount) return fail('the lab host has no mount at /mnt/shared any more (unmounted?)');
      if (!ctMount) return fail(`${describeProcess(s.ctPid)} has no mount at /mnt/shared in its namespace`);
      const group = hostMount.propagation.shared;
      const ctText = `the container's /mnt/shared is ${propagationText(ctMount)}`;
      if (kind !== 'private' && group === undefined) {
        return fail(`the lab host's /mnt/shared is ${propagationText(hostMount)}, not shared: make it shared again in the host pane (\`mount --make-shared /mnt/shared\`)`);
      }
      const hostText = `the host's is shared:${group}`;
      let pass: boolean;
      let hint = '';
      if (kind === 'shared') {
        pass = ctMount.propagation.shared === group;
        if (!pass) hint = ': unshare made it something else; exit this shell and start one with `--propagation shared` (or `unchanged`)';
      } else if (kind === 'private') {
        pass = propagationName(ctMount) === 'private';
        if (!pass) hint = ': exit this shell and start one with `--propagation private` (unshare\'s default)';
      } else {
        pass = ctMount.propagation.master === group;
        if (!pass) hint = ': exit this shell and start one with `--propagation slave`';
      }
      const found = `${describeProcess(s.ctPid)} has its own mount namespace; ${ctText}${kind === 'private' && group === undefined ? '' : `, ${hostText}`}${hint}`;
      return { pass, expected, found };
    },
  };
}

/**
 * The host mounted something at `path` after the container's namespace was made. `arrives`:
 * whether it must reach the container (shared, slave) or must not (private).
 */
function hostMountCheck(id: string, title: string, path: string, arrives: boolean): Check {
  return {
    id,
    title,
    run(ctx) {
      const expected = arrives
        ? `the host's mount at ${path}, made after the unshare, shows up in the container's namespace`
        : `the host's mount at ${path} exists on the host only`;
      const s = sides(ctx, expected);
      if (isResult(s)) return s;
      const fail = (found: string): CheckResult => ({ pass: false, expected, found });
      const hostMount = findMount(s.host, path);
      if (!hostMount) return fail(`the lab host has nothing mounted at ${path} yet (mount it in the host pane)`);
      const ctMount = findMount(s.ct, path);
      const ctShared = findMount(s.ct, SHARED);
      const ctShareText = ctShared ? `the container's /mnt/shared is ${propagationText(ctShared)}` : 'the container has no /mnt/shared mount';
      if (!ctMount) {
        if (arrives) return fail(`the container's namespace has no mount at ${path}: it did not propagate (${ctShareText})`);
        return { pass: true, expected, found: `only the lab host has a mount at ${path}; ${ctShareText}` };
      }
      const copied = copiedAtCreation(s.ct, ctMount);
      if (copied === null) return fail(MARKER_GONE);
      if (copied) return fail(`the container's namespace has ${path}, but ${COPIED}`);
      if (arrives) {
        return { pass: true, expected, found: `${path} arrived in the container's namespace after it was made (there it is ${propagationText(ctMount)}; ${ctShareText})` };
      }
      return fail(`the host's mount at ${path} propagated into the container's namespace: ${ctShareText}, still linked to the host`);
    },
  };
}

/**
 * The container mounted something at `path` in its own namespace. `arrives`: whether it must
 * reach the lab host (shared) or must not (private, slave).
 */
function containerMountCheck(id: string, title: string, path: string, arrives: boolean): Check {
  return {
    id,
    title,
    run(ctx) {
      const expected = arrives
        ? `the container's mount at ${path} shows up in the lab host`
        : `the container's mount at ${path} exists in the container's namespace only`;
      const s = sides(ctx, expected);
      if (isResult(s)) return s;
      const fail = (found: string): CheckResult => ({ pass: false, expected, found });
      const ctMount = findMount(s.ct, path);
      if (!ctMount) return fail(`the container's namespace has nothing mounted at ${path} yet (mount it in the container pane)`);
      const copied = copiedAtCreation(s.ct, ctMount);
      if (copied === null) return fail(MARKER_GONE);
      if (copied) return fail(`the container's namespace has ${path}, but ${COPIED}`);
      const hostMount = findMount(s.host, path);
      const ctShared = findMount(s.ct, SHARED);
      const ctShareText = ctShared ? `the container's /mnt/shared is ${propagationText(ctShared)}` : 'the container has no /mnt/shared mount';
      if (arrives) {
        if (hostMount) return { pass: true, expected, found: `the lab host sees ${path} too (there it is ${propagationText(hostMount)})` };
        return fail(`the lab host has no mount at ${path}: it did not propagate (${ctShareText})`);
      }
      if (hostMount) return fail(`the lab host sees ${path} too: it propagated, ${ctShareText}`);
      return { pass: true, expected, found: `only the container's namespace has ${path}; ${ctShareText}` };
    },
  };
}

const UNBINDABLE_CHECK: Check = {
  id: 'host-unbindable',
  title: "The host's /mnt/shared is unbindable, and no bind of it exists",
  run(ctx) {
    const expected = "the lab host's /mnt/shared marked unbindable, and no bind mount made of it";
    const fail = (found: string): CheckResult => ({ pass: false, expected, found });
    const host = readMountinfo(ctx.labHost);
    if (!host) return fail('the lab host is gone');
    const mount = findMount(host, SHARED);
    if (!mount) return fail('the lab host has no mount at /mnt/shared any more (unmounted?)');
    if (!mount.propagation.unbindable) {
      const fg = ctx.foreground.container;
      const ctMount = fg === null ? undefined : findMount(readMountinfo(fg) ?? [], SHARED);
      const elsewhere =
        fg !== null && ctMount?.propagation.unbindable && !shareNamespace(fg, ctx.labHost, 'mnt')
          ? " (the container's own copy is unbindable: a change of propagation type does not propagate, make it in the host pane)"
          : '';
      return fail(`the lab host's /mnt/shared is ${propagationText(mount)}${elsewhere}`);
    }
    // A bind of /mnt/shared, or of anything inside it: same filesystem, root at or under it.
    const binds = host.filter(
      (m) =>
        m.id !== mount.id &&
        m.major === mount.major &&
        m.minor === mount.minor &&
        (m.root === mount.root || m.root.startsWith(`${mount.root}/`)),
    );
    if (binds.length > 0) {
      return fail(
        `/mnt/shared is unbindable now, but a bind of it is mounted at ${binds.map((m) => m.mountPoint).join(', ')}: it was made before the propagation change. Unmount it and try the bind again`,
      );
    }
    return { pass: true, expected, found: "the lab host's /mnt/shared is unbindable and nothing is bound from it" };
  },
};

const CUT_OFF_CHECK: Check = {
  id: 'container-cut-off',
  title: "A host mount under the unbindable /mnt/shared stays on the host",
  run(ctx) {
    const path = `${SHARED}/from-host-unbindable`;
    const expected = `the host's mount at ${path} exists on the host only: an unbindable mount sends nothing to the container`;
    const s = sides(ctx, expected);
    if (isResult(s)) return s;
    const fail = (found: string): CheckResult => ({ pass: false, expected, found });
    const hostMount = findMount(s.host, path);
    if (!hostMount) return fail(`the lab host has nothing mounted at ${path} yet (mount it in the host pane)`);
    const ctShared = findMount(s.ct, SHARED);
    const ctShareText = ctShared ? `the container's /mnt/shared is ${propagationText(ctShared)}` : 'the container has no /mnt/shared mount';
    const ctMount = findMount(s.ct, path);
    if (!ctMount) return { pass: true, expected, found: `only the lab host has ${path}; ${ctShareText}` };
    if (copiedAtCreation(s.ct, ctMount)) {
      return fail(`the container's namespace has ${path}: it was already mounted when that namespace was made, so it got a copy. Keep the slave shell from the last step, or unmount it and mount it again`);
    }
    return fail(
      `${path} reached the container: it was mounted while the host's /mnt/shared still propagated (before the propagation change). Unmount it on both sides and mount it again on the host`,
    );
  },
};

const lab: Lab = {
  id: 'mount-propagation',
  title: 'Mount propagation: shared, private, slave, unbindable',
  summary:
    'Give the container a mount namespace of its own four times over and watch, from both panes, which mounts travel between the host and the container: both ways, neither way, host to container only, or none at all.',
  source: 'seeds/003 (Mini Container Series part 1: bind mounts, mount namespaces, shared/private/slave/unbindable)',
  start: {
    container: { namespaces: [], root: 'none', proc: false },
    setup: [
      'set -e',
      'mkdir -p /mnt/shared /srv',
      // A mount point of its own (a bind onto itself), made the first member of a peer group.
      'mount --bind /mnt/shared /mnt/shared',
      'mount --make-shared /mnt/shared',
      // Directories to bind, on a tmpfs of their own. Mounted after /mnt/shared on purpose:
      // see "copiedAtCreation".
      'mount -t tmpfs -o size=1m,mode=755 nslab-sources /srv',
      'mkdir -p /srv/host-data /srv/container-data /srv/shared-view',
      'echo "this file lives in /srv/host-data" > /srv/host-data/host.txt',
      'echo "this file lives in /srv/container-data" > /srv/container-data/container.txt',
      'cd /mnt/shared',
      'mkdir from-host-shared from-container-shared from-host-private from-container-private from-host-slave from-container-slave from-host-unbindable',
    ].join('\n'),
  },
  steps: [
    {
      id: 'shared',
      title: 'Shared: mounts travel both ways',
      goal:
        "Both panes start in the lab host. Its /mnt/shared is a shared mount (look for shared:N in /proc/self/mountinfo), and /srv holds two directories to bind: host-data and container-data. In the container pane, start a shell in a new mount namespace that keeps /mnt/shared shared: `unshare --mount --propagation shared bash`. Then, with that shell running, bind /srv/host-data onto /mnt/shared/from-host-shared from the host pane, and /srv/container-data onto /mnt/shared/from-container-shared from the container pane. Both mounts should show up on both sides.",
      hints: [
        "unshare's default is to make every mount in the new namespace private, which cuts all links to the host. Ask for shared (or unchanged) instead.",
        '`grep /mnt/shared /proc/self/mountinfo` in either pane shows the peer group as shared:N. In a peer group, every mount or unmount under one member is repeated under all the others.',
        'Order matters: mount after the new namespace exists. Anything mounted before unshare is simply copied into the namespace, which proves nothing about propagation.',
        'Container pane: `unshare --mount --propagation shared bash`, host pane: `mount --bind /srv/host-data /mnt/shared/from-host-shared`, container pane: `mount --bind /srv/container-data /mnt/shared/from-container-shared`',
      ],
      solution: [
        { pane: 'container', command: 'unshare --mount --propagation shared bash' },
        { pane: 'host', command: 'mount --bind /srv/host-data /mnt/shared/from-host-shared' },
        { pane: 'container', command: 'mount --bind /srv/container-data /mnt/shared/from-container-shared' },
        { pane: 'container', command: 'ls /mnt/shared/from-host-shared; grep /mnt/shared /proc/self/mountinfo' },
        { pane: 'host', command: 'ls /mnt/shared/from-container-shared; grep /mnt/shared /proc/self/mountinfo' },
      ],
      checks: [
        namespaceCheck('shared'),
        hostMountCheck('host-to-container', 'A mount the host made after the unshare reached the container', `${SHARED}/from-host-shared`, true),
        containerMountCheck('container-to-host', 'A mount the container made reached the host', `${SHARED}/from-container-shared`, true),
      ],
    },
    {
      id: 'private',
      title: 'Private: nothing travels',
      goal:
        "Leave the shared namespace (`exit` in the container pane) and start a new one in which every mount is private: `unshare --mount --propagation private bash`, which is also what plain `unshare --mount bash` does. Then bind /srv/host-data onto /mnt/shared/from-host-private from the host pane, and /srv/container-data onto /mnt/shared/from-container-private from the container pane. This time each side should see only its own mount.",
      hints: [
        'The container pane still runs the shell from the last step, and its /mnt/shared is still a peer of the host\'s. `exit` brings you back to the plain shell.',
        "A private mount has no optional field in mountinfo: neither shared:N nor master:N.",
        'Mount after the unshare: a host mount made before it is copied into the namespace and shows up there anyway.',
        'Container pane: `exit`, then `unshare --mount --propagation private bash`; host pane: `mount --bind /srv/host-data /mnt/shared/from-host-private`; container pane: `mount --bind /srv/container-data /mnt/shared/from-container-private`',
      ],
      solution: [
        { pane: 'container', command: 'exit' },
        { pane: 'container', command: 'unshare --mount --propagation private bash' },
        { pane: 'host', command: 'mount --bind /srv/host-data /mnt/shared/from-host-private' },
        { pane: 'container', command: 'mount --bind /srv/container-data /mnt/shared/from-container-private' },
        { pane: 'container', command: 'ls /mnt/shared/from-host-private; grep /mnt/shared /proc/self/mountinfo' },
        { pane: 'host', command: 'ls /mnt/shared/from-container-private; grep /mnt/shared /proc/self/mountinfo' },
      ],
      checks: [
        namespaceCheck('private'),
        hostMountCheck('host-not-in-container', "The host's new mount did not reach the container", `${SHARED}/from-host-private`, false),
        containerMountCheck('container-not-in-host', "The container's mount did not reach the host", `${SHARED}/from-container-private`, false),
      ],
    },
    {
      id: 'slave',
      title: 'Slave: from the host to the container only',
      goal:
        "This is what the tutorial's mini container uses. Leave the private namespace and start one in which the mounts receive from the host but send nothing back: `unshare --mount --propagation slave bash`. Bind /srv/host-data onto /mnt/shared/from-host-slave from the host pane, and /srv/container-data onto /mnt/shared/from-container-slave from the container pane. The host's mount should reach the container; the container's should stay inside it.",
      hints: [
        "In the container's mountinfo a slave shows master:N, where N is the host's peer group (shared:N on the host side).",
        'The host mount has to be made after the unshare, or the container only got a copy of it.',
        'Container pane: `exit`, then `unshare --mount --propagation slave bash`',
        'Host pane: `mount --bind /srv/host-data /mnt/shared/from-host-slave`; container pane: `mount --bind /srv/container-data /mnt/shared/from-container-slave`',
      ],
      solution: [
        { pane: 'container', command: 'exit' },
        { pane: 'container', command: 'unshare --mount --propagation slave bash' },
        { pane: 'host', command: 'mount --bind /srv/host-data /mnt/shared/from-host-slave' },
        { pane: 'container', command: 'mount --bind /srv/container-data /mnt/shared/from-container-slave' },
        { pane: 'container', command: 'ls /mnt/shared/from-host-slave; grep /mnt/shared /proc/self/mountinfo' },
        { pane: 'host', command: 'ls /mnt/shared/from-container-slave; grep /mnt/shared /proc/self/mountinfo' },
      ],
      checks: [
        namespaceCheck('slave'),
        hostMountCheck('host-to-container', 'A mount the host made after the unshare reached the container', `${SHARED}/from-host-slave`, true),
        containerMountCheck('container-not-in-host', "The container's mount did not reach the host", `${SHARED}/from-container-slave`, false),
      ],
    },
    {
      id: 'unbindable',
      title: 'Unbindable: no binds, no propagation',
      goal:
        "Keep the slave shell running in the container pane. In the host pane, mark /mnt/shared unbindable (`mount --make-unbindable /mnt/shared`) and try to bind it somewhere, e.g. onto /srv/shared-view: the kernel refuses. An unbindable mount is also private, so it has left its peer group, and the container's slave copy has lost its master. Check it: bind /srv/host-data onto /mnt/shared/from-host-unbindable in the host pane; unlike in the last step, the container should not see it.",
      hints: [
        'Propagation types are set per mount, on the side that types the command: make the change in the host pane.',
        '`mount --bind` of an unbindable mount fails with "wrong fs type, bad option, bad superblock": that failure is what you want to see.',
        "Mount from-host-unbindable only after the change; made before it, it still propagates to the slave. Then compare `grep /mnt/shared /proc/self/mountinfo` in both panes: the container's master:N is gone.",
        'Host pane: `mount --make-unbindable /mnt/shared`, `mount --bind /mnt/shared /srv/shared-view` (refused), then `mount --bind /srv/host-data /mnt/shared/from-host-unbindable`',
      ],
      solution: [
        { pane: 'host', command: 'mount --make-unbindable /mnt/shared' },
        { pane: 'host', command: 'mount --bind /mnt/shared /srv/shared-view' },
        { pane: 'host', command: 'mount --bind /srv/host-data /mnt/shared/from-host-unbindable' },
        { pane: 'host', command: 'grep /mnt/shared /proc/self/mountinfo' },
        { pane: 'container', command: 'ls /mnt/shared/from-host-unbindable; grep /mnt/shared /proc/self/mountinfo' },
      ],
      checks: [UNBINDABLE_CHECK, CUT_OFF_CHECK],
    },
  ],
};

export default lab;
