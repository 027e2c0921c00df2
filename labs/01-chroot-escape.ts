/**
 * chroot escape: a chrooted root shell is not contained. Step 1 climbs out with the textbook
 * escape program, step 2 walks out through a /proc mounted inside the chroot, step 3 builds the
 * container the way runtimes do (own mount namespace, pivot_root, old root detached) and shows
 * the same escape landing back in the container.
 *
 * Kernel facts the checks rely on (verified on Debian 12, kernel 6.x):
 * - chroot(2) changes the root only; the escape's chdir("..") from outside its new root climbs
 *   to the root of the mount namespace (onto whatever is stacked on "/": after `pivot_root . .`
 *   that is the old root), then chroot(".") makes that the root. Where it lands cannot be read
 *   from /proc, so the last check runs the escape itself (nsenter into the container's mounts).
 * - /proc/<pid>/root followed from inside a chroot lands in that process's root, outside ours.
 * - pivot_root(2) from a chrooted shell fails with EINVAL, even after `mount --bind / /`: the
 *   caller's root must be the root of a mount (a chroot directory is not), so the fix is done
 *   from the host pane. (`unshare --mount` inside the chroot fails too: it cannot make "/"
 *   private, because "/" is no mount point there.)
 * - /proc/<pid>/mountinfo lists only the mounts reachable from that process's root, with paths
 *   relative to it: after pivot_root the old root shows as /old_root until it is detached.
 */
import { readlinkSync } from 'node:fs';
import { readlinkAs } from '../src/kernel/in-root.ts';
import { findMount, readMountinfo, type MountEntry } from '../src/kernel/mountinfo.ts';
import { cwdIdentity, sameIdentity, type FileIdentity } from '../src/kernel/proc.ts';
import type { CheckContext } from '../src/labs/context.ts';
import { describeProcess, identityAs, labHostPidOf, labHostRootMount, namespaceOf, rootKind, ROOT_KIND_TEXT } from '../src/labs/facts.ts';
import type { CheckResult, Lab, PaneName } from '../src/labs/legacy.ts';

const TREASURE_DIR = '/root';
const TREASURE = `${TREASURE_DIR}/treasure.txt`;
const TREASURE_TEXT = "The lab host's treasure: a chroot alone does not hold root in.";
const ESCAPE = '/usr/local/bin/escape';

// ---------------------------------------------------------------------------------------------
// Helpers (all read /proc from the real machine; a vanished pid gives a failing result).

function paneProcess(ctx: CheckContext, pane: PaneName): string {
  return `the ${pane} pane's ${describeProcess(ctx.foreground[pane])}`;
}

/** readlink that gives null instead of throwing (the process or the path is gone). */
function link(path: string): string | null {
  try {
    return readlinkSync(path);
  } catch {
    return null;
  }
}

/**
 * Proc mounts reachable from `pid`'s root that show the lab host's processes: their pid 1 is the
 * lab host's init (same pid namespace). Mount points are relative to `pid`'s root.
 */
function labHostProcMounts(ctx: CheckContext, pid: number, mounts: readonly MountEntry[]): string[] {
  const labPidNs = link(`/proc/${ctx.labHost}/ns/pid`);
  const points = [...new Set(mounts.filter((m) => m.fsType === 'proc').map((m) => m.mountPoint))];
  return points.filter((mp) => labPidNs !== null && readlinkAs(pid, `${mp === '/' ? '' : mp}/1/ns/pid`) === labPidNs);
}

/** Where a directory is, for messages, by identity. */
function placeOf(ctx: CheckContext, id: FileIdentity | null): string {
  if (id === null) return 'nowhere (the process is gone)';
  const places: Array<[string, string]> = [
    [TREASURE_DIR, `the lab host's ${TREASURE_DIR}`],
    [`${ctx.rootfs}${TREASURE_DIR}`, `$ROOTFS${TREASURE_DIR}, the container's own ${TREASURE_DIR} (no planted file there)`],
    [ctx.rootfs, '$ROOTFS, the top of the container rootfs'],
    ['/', "the lab host's /"],
  ];
  for (const [path, text] of places) if (sameIdentity(id, identityAs(ctx.labHost, path))) return text;
  return 'another directory';
}

/**
 * The process that should be the fixed container in step 3: the foreground process of a pane
 * that has a mount namespace of its own (one whose root is the rootfs first), else the host
 * pane's foreground process.
 */
function fixedContainer(ctx: CheckContext): { pane: PaneName; pid: number } | null {
  const panes = (['host', 'container'] as const)
    .map((pane) => ({ pane, pid: ctx.foreground[pane] }))
    .filter((c): c is { pane: PaneName; pid: number } => c.pid !== null);
  const own = panes.filter((c) => namespaceOf(ctx, c.pid, 'mnt') === 'own');
  return own.find((c) => rootKind(ctx, c.pid) === 'rootfs') ?? own[0] ?? panes.find((c) => c.pane === 'host') ?? null;
}

function describeFixed(c: { pane: PaneName; pid: number }): string {
  return `the ${c.pane} pane's ${describeProcess(c.pid)}`;
}

function sameDevice(a: MountEntry, b: MountEntry): boolean {
  return a.major === b.major && a.minor === b.minor;
}

function insideRootfs(ctx: CheckContext, fsPath: string): boolean {
  return fsPath === ctx.rootfs || fsPath.startsWith(`${ctx.rootfs}/`);
}

const fail = (expected: string, found: string): CheckResult => ({ pass: false, expected, found });

// ---------------------------------------------------------------------------------------------
// Step 3 checks, on the fixed container.

function ownMountNamespace(ctx: CheckContext): CheckResult {
  const expected = 'the new container has a mount namespace of its own';
  const c = fixedContainer(ctx);
  if (!c) return fail(expected, 'both panes have exited');
  const rel = namespaceOf(ctx, c.pid, 'mnt');
  if (rel === 'own') return { pass: true, expected, found: `${describeFixed(c)} has its own mount namespace` };
  if (rel === 'unknown') return fail(expected, `${describeFixed(c)} could not be read (has it exited?)`);
  return fail(expected, `${describeFixed(c)} still uses the lab host's mount namespace: a bind or pivot_root there would rearrange the lab host itself (start with unshare --mount)`);
}

function pivotedRoot(ctx: CheckContext): CheckResult {
  const expected = "the new container's root is $ROOTFS, as the root mount of its mount namespace (pivot_root)";
  const c = fixedContainer(ctx);
  if (!c) return fail(expected, 'both panes have exited');
  const kind = rootKind(ctx, c.pid);
  const mounts = readMountinfo(c.pid);
  const labRoot = labHostRootMount(ctx);
  if (kind === 'gone' || !mounts || !labRoot) return fail(expected, `${describeFixed(c)} could not be read (has it exited?)`);
  const top = findMount(mounts, '/');
  if (kind === 'rootfs' && top && sameDevice(top, labRoot) && top.root === ctx.rootfs) {
    return { pass: true, expected, found: `${describeFixed(c)} has $ROOTFS as its root, and "/" is a bind mount of ${ctx.rootfs}` };
  }
  if (kind === 'lab-host') return fail(expected, `${describeFixed(c)} still has ${ROOT_KIND_TEXT['lab-host']} as its root`);
  if (kind === 'rootfs' && !top) {
    return fail(expected, `${describeFixed(c)} has $ROOTFS as its root only by chroot: $ROOTFS is not the root mount of its namespace, so the escape can climb above it (use pivot_root)`);
  }
  if (top && sameDevice(top, labRoot) && top.root === '/') {
    return fail(expected, `"/" of ${describeFixed(c)} is the lab host's root mount (after pivot_root . . the old root sits on top: umount -l it)`);
  }
  return fail(expected, `${describeFixed(c)} has ${ROOT_KIND_TEXT[kind]} as its root${top ? `; "/" is ${top.source}:${top.root}` : ''}`);
}

function oldRootDetached(ctx: CheckContext): CheckResult {
  const expected = "no mount of the lab host's root filesystem (outside $ROOTFS) is left in the new container";
  const c = fixedContainer(ctx);
  if (!c) return fail(expected, 'both panes have exited');
  const mounts = readMountinfo(c.pid);
  const labRoot = labHostRootMount(ctx);
  if (!mounts || !labRoot || rootKind(ctx, c.pid) === 'gone') return fail(expected, `${describeFixed(c)} could not be read (has it exited?)`);
  if (namespaceOf(ctx, c.pid, 'mnt') !== 'own') {
    return fail(expected, `${describeFixed(c)} shares the lab host's mount namespace: the lab host's whole mount tree is its mount tree`);
  }
  if (!findMount(mounts, '/')) {
    return fail(expected, `${describeFixed(c)} is only chrooted: the lab host's whole mount tree is still in its namespace, out of sight but not gone`);
  }
  const leaks = mounts.filter((m) => sameDevice(m, labRoot) && !insideRootfs(ctx, m.root));
  if (leaks.length === 0) return { pass: true, expected, found: `of the lab host's filesystem, only $ROOTFS is mounted in the namespace of ${describeFixed(c)}` };
  const list = leaks.map((m) => `${m.mountPoint} (the lab host's ${m.root})`).join(', ');
  return fail(expected, `still mounted in the new container: ${list}; e.g. ${leaks[0]!.mountPoint === '/' ? '' : leaks[0]!.mountPoint}${TREASURE} is reachable (umount -l it, then rmdir)`);
}

function noLabHostProc(ctx: CheckContext): CheckResult {
  const expected = "no /proc in the new container shows the lab host's processes (step 2's way out is closed)";
  const c = fixedContainer(ctx);
  if (!c) return fail(expected, 'both panes have exited');
  const mounts = readMountinfo(c.pid);
  if (!mounts) return fail(expected, `${describeFixed(c)} could not be read (has it exited?)`);
  const leaking = labHostProcMounts(ctx, c.pid, mounts);
  if (leaking.length === 0) return { pass: true, expected, found: `${describeFixed(c)} sees no proc of the lab host's pid namespace` };
  return fail(expected, `${leaking.join(', ')}, as ${describeFixed(c)} sees it, is a proc of the lab host's pid namespace: ${leaking[0]}/1/root leads out again (use unshare --pid --fork, and mount a fresh proc from inside it)`);
}

async function escapeContained(ctx: CheckContext): Promise<CheckResult> {
  const expected = 'the escape program, run in the new container, lands in the container rootfs and cannot reach the planted file';
  const c = fixedContainer(ctx);
  if (!c) return fail(expected, 'both panes have exited');
  const lp = labHostPidOf(c.pid);
  if (lp === null) return fail(expected, `${describeFixed(c)} could not be read (has it exited?)`);
  if (rootKind(ctx, c.pid) === 'lab-host') return fail(expected, `${describeFixed(c)} has the lab host's root as its root: nothing is contained there yet`);
  if (!ctx.existsAs(c.pid, ESCAPE)) return fail(expected, `there is no ${ESCAPE} under the root of ${describeFixed(c)}`);
  // Run the escape exactly where the container stands: its mounts, root and cwd. What the
  // escaped shell can see is the answer. (/proc cannot tell where ".." stops climbing.)
  const inner = `cd / && exec ${ESCAPE} /bin/sh -c 'ls -di / ${TREASURE}'`;
  const result = await ctx.exec(`exec nsenter -t ${lp} -m -r -w -- /bin/sh -c "${inner}"`);
  const inodes = new Map<string, bigint>();
  for (const line of result.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)$/.exec(line);
    if (m) inodes.set(m[2]!, BigInt(m[1]!));
  }
  const landed = inodes.get('/');
  if (landed === undefined) {
    const why = result.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${String(result.code)}`;
    return fail(expected, `the escape could not be run there: ${why}`);
  }
  const treasure = identityAs(ctx.labHost, TREASURE);
  const rootfs = identityAs(ctx.labHost, ctx.rootfs);
  const labRoot = identityAs(ctx.labHost, '/');
  const where = rootfs && landed === rootfs.ino ? 'the container rootfs' : labRoot && landed === labRoot.ino ? "the lab host's root" : 'some other directory';
  if (treasure && inodes.get(TREASURE) === treasure.ino) {
    return fail(expected, `the escape climbed out to ${where} and read ${TREASURE}: the lab host's root is still mounted in this mount namespace, and a chroot does not hide it`);
  }
  if (where !== 'the container rootfs') return fail(expected, `the escape landed in ${where}`);
  return { pass: true, expected, found: `the escape climbed as far as it could and stopped at the container rootfs; no ${TREASURE} there` };
}

// ---------------------------------------------------------------------------------------------

const lab: Lab = {
  id: 'chroot-escape',
  title: 'Escaping a chroot, and why pivot_root fixes it',
  summary:
    'A root shell that is only chrooted walks out in two ways: the classic chdir("..") escape and /proc/<pid>/root. Then you close both by giving the container its own mount and pid namespaces, pivot_root and a detached old root.',
  source: 'seeds 002 (chroot, /proc in a chroot, pivot_root . .) and 000/001 (bind the rootfs onto itself, pivot_root, umount -l the old root)',
  start: {
    container: { namespaces: [], root: 'chroot', proc: false },
    // The prize lives on the lab host, outside the rootfs: the container must never see it.
    setup: [
      `printf '%s\\n' "${TREASURE_TEXT}" > ${TREASURE}`,
      `test ! -e /labs/rootfs${TREASURE}`,
    ].join('\n'),
  },
  steps: [
    {
      id: 'escape',
      title: 'Climb out of the chroot',
      goal:
        'The container pane is only chrooted into $ROOTFS: it shares every namespace with the lab host and runs as root. On the lab host, outside $ROOTFS, lies /root/treasure.txt. Run the classic escape program `escape` in the container pane, keep the shell it starts open, and read the file from there.',
      hints: [
        'chroot(2) only changes what "/" means for a process. It does not move the working directory, and ".." is only stopped when a walk reaches the process\'s own root.',
        'The rootfs has a small C program, /usr/local/bin/escape: it makes a directory, chroots into it without cd-ing there (the working directory is now above the root), does chdir("..") a thousand times, then chroot(".") and starts a shell.',
        'Coreutils chroot(1) always cds into the new root, which is why the escape needs its own program.',
        'In the container pane: `escape /bin/bash`, then `cat /root/treasure.txt`.',
      ],
      solution: [
        { pane: 'container', command: 'escape /bin/bash' },
        { pane: 'container', command: `cat ${TREASURE}` },
      ],
      checks: [
        {
          id: 'escaped-root',
          title: "The container pane's shell has the lab host's root",
          run(ctx) {
            const expected = "the container pane's foreground process has the lab host's / as its root";
            const pid = ctx.foreground.container;
            if (pid === null) return fail(expected, 'the container pane has exited');
            const kind = rootKind(ctx, pid);
            if (kind === 'lab-host') return { pass: true, expected, found: `${paneProcess(ctx, 'container')} has the lab host's root` };
            const cwd = placeOf(ctx, cwdIdentity(pid));
            return fail(expected, `${paneProcess(ctx, 'container')} has ${ROOT_KIND_TEXT[kind]} as its root (its working directory is ${cwd}); cd .. stops at the root, only the escape program gets past it`);
          },
        },
        {
          id: 'sees-treasure',
          title: 'It can read the planted /root/treasure.txt',
          run(ctx) {
            const expected = `the container pane's foreground process sees the lab host's ${TREASURE}`;
            const pid = ctx.foreground.container;
            if (pid === null) return fail(expected, 'the container pane has exited');
            const planted = ctx.readFileAs(ctx.labHost, TREASURE);
            if (planted === null) return fail(expected, `the planted ${TREASURE} is gone from the lab host`);
            const seen = ctx.readFileAs(pid, TREASURE);
            if (seen === planted) return { pass: true, expected, found: `${paneProcess(ctx, 'container')} sees ${TREASURE}` };
            return fail(expected, seen === null ? `${paneProcess(ctx, 'container')} has no ${TREASURE} in its view: it is still inside $ROOTFS` : `${TREASURE} in its view is not the planted file`);
          },
        },
      ],
    },
    {
      id: 'proc-root',
      title: 'Walk out through /proc, no program needed',
      goal:
        'Leave the escaped shell with `exit`: you are back in the chrooted shell. A proc mounted inside the chroot lists every process of the lab host, and /proc/<pid>/root of any of them is that process\'s own root directory. Without the escape program, make the lab host\'s /root (where treasure.txt lies) the working directory of the chrooted shell.',
      hints: [
        'The container shares the lab host\'s pid namespace, so a proc mounted inside the chroot shows the lab host\'s processes too.',
        '/proc/<pid>/root is a magic link: following it lands in that process\'s root, even when it is outside yours. Pid 1 is the lab host\'s init.',
        'Plain /root will not do: inside the chroot it is $ROOTFS/root, the container\'s own, empty home.',
        '`exit`, `mount -t proc proc /proc`, then `cd /proc/1/root/root` and `cat treasure.txt`.',
      ],
      solution: [
        { pane: 'container', command: 'exit' },
        { pane: 'container', command: 'mount -t proc proc /proc' },
        { pane: 'container', command: 'cd /proc/1/root/root' },
        { pane: 'container', command: 'cat treasure.txt' },
      ],
      checks: [
        {
          id: 'proc-in-chroot',
          title: "A proc inside $ROOTFS shows the lab host's processes",
          run(ctx) {
            const expected = "a proc mounted inside $ROOTFS that lists the lab host's processes";
            const mounts = readMountinfo(ctx.labHost);
            if (!mounts) return fail(expected, 'the lab host could not be read');
            const inside = mounts.filter((m) => m.mountPoint.startsWith(`${ctx.rootfs}/`));
            const leaking = labHostProcMounts(ctx, ctx.labHost, inside);
            if (leaking.length > 0) return { pass: true, expected, found: `${leaking.map((p) => `$ROOTFS${p.slice(ctx.rootfs.length)}`).join(', ')} is a proc of the lab host's pid namespace` };
            const procs = inside.filter((m) => m.fsType === 'proc');
            if (procs.length > 0) return fail(expected, `the proc at ${procs[0]!.mountPoint} belongs to another pid namespace and does not show the lab host's processes`);
            return fail(expected, 'nothing is mounted on $ROOTFS/proc: the chrooted shell sees no processes at all');
          },
        },
        {
          id: 'still-chrooted',
          title: 'The container pane\'s shell is still chrooted in $ROOTFS',
          run(ctx) {
            const expected = "the container pane's foreground process still has $ROOTFS as its root (no escape program)";
            const pid = ctx.foreground.container;
            if (pid === null) return fail(expected, 'the container pane has exited');
            const kind = rootKind(ctx, pid);
            if (kind === 'rootfs') return { pass: true, expected, found: `${paneProcess(ctx, 'container')} is chrooted in $ROOTFS` };
            if (kind === 'lab-host') return fail(expected, `${paneProcess(ctx, 'container')} has the lab host's root: that is the escape program's shell (type exit)`);
            return fail(expected, `${paneProcess(ctx, 'container')} has ${ROOT_KIND_TEXT[kind]} as its root`);
          },
        },
        {
          id: 'cwd-outside',
          title: "Its working directory is the lab host's /root",
          run(ctx) {
            const expected = `the container pane's foreground process has the lab host's ${TREASURE_DIR} (the planted file's directory) as its working directory`;
            const pid = ctx.foreground.container;
            if (pid === null) return fail(expected, 'the container pane has exited');
            const cwd = cwdIdentity(pid);
            const target = identityAs(ctx.labHost, TREASURE_DIR);
            if (sameIdentity(cwd, target)) return { pass: true, expected, found: `${paneProcess(ctx, 'container')} works in the lab host's ${TREASURE_DIR}` };
            return fail(expected, `${paneProcess(ctx, 'container')} works in ${placeOf(ctx, cwd)}`);
          },
        },
      ],
    },
    {
      id: 'pivot-root',
      title: 'The fix: pivot_root and drop the old root',
      goal:
        'A chroot cannot be repaired from inside: pivot_root needs the caller\'s root to be a mount, and a chroot directory is not one. In the host pane, start a new container the way runtimes do: its own mount and pid namespaces, $ROOTFS bound onto itself, a fresh proc, pivot_root into it, then detach the old root with `umount -l` and remove its directory. Finally run `escape /bin/bash` in the new container: it should land in the container\'s own root, with no treasure in sight.',
      hints: [
        'Try `pivot_root . /tmp` in the container pane: EINVAL. Build the new container from the host pane instead.',
        '`unshare --mount --pid --fork --mount-proc bash` gives a shell with its own mount table and process list. pivot_root wants the new root to be a mount point: `mount --bind $ROOTFS $ROOTFS`.',
        'In $ROOTFS: `mkdir -p old_root`, `mount -t proc proc proc` (while the old /proc is still visible: in a user namespace a new proc is only allowed then), `pivot_root . old_root`, `cd /`.',
        'The old root is still mounted on /old_root (try `ls /old_root/root`): `umount -l /old_root`, `rmdir /old_root`, then `escape /bin/bash` and `ls /root`.',
      ],
      solution: [
        { pane: 'host', command: 'unshare --mount --pid --fork --mount-proc bash' },
        { pane: 'host', command: 'mount --bind $ROOTFS $ROOTFS' },
        { pane: 'host', command: 'cd $ROOTFS' },
        { pane: 'host', command: 'mkdir -p old_root' },
        { pane: 'host', command: 'mount -t proc proc proc' },
        { pane: 'host', command: 'pivot_root . old_root' },
        { pane: 'host', command: 'cd /' },
        { pane: 'host', command: 'umount -l /old_root' },
        { pane: 'host', command: 'rmdir /old_root' },
        { pane: 'host', command: 'escape /bin/bash' },
        { pane: 'host', command: `ls /root; cat ${TREASURE}` },
      ],
      checks: [
        { id: 'own-mount-ns', title: 'The new container has its own mount namespace', run: ownMountNamespace },
        { id: 'pivoted-root', title: 'Its root is $ROOTFS, pivoted, not chrooted', run: pivotedRoot },
        { id: 'old-root-detached', title: "No mount of the lab host's root is left in it", run: oldRootDetached },
        { id: 'no-host-proc', title: "Its /proc does not show the lab host's processes", run: noLabHostProc },
        { id: 'escape-contained', title: 'The escape program lands in the container rootfs', run: escapeContained },
      ],
    },
  ],
};

export default lab;
