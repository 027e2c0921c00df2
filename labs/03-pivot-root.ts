/**
 * pivot_root: turn the rootfs into the container's root mount, give it a /proc of its own,
 * then detach the lab host's old root so nothing outside the rootfs is reachable any more.
 *
 * Follows seed 000 ("Building a container from scratch": bind the rootfs onto itself,
 * pivot_root . old_root, umount -l, rmdir) and seed 001 (pivot_root refuses a new root that is
 * not a mount point; a plain umount of the old root is "busy", a lazy one works).
 *
 * Kernel facts this lab relies on (verified on this machine kind, inside the lab world):
 * - pivot_root(2) of a directory that is not a mount point fails (EINVAL on kernel 6.x;
 *   older kernels said EBUSY, as in seed 001).
 * - After the pivot, umount(8) needs a /proc (libmount reads /proc/self/mountinfo): without
 *   one, `umount -l /old_root` fails with "No such file or directory".
 * - In a user namespace, a new proc mount needs a fully visible proc somewhere in the mount
 *   namespace (mount_namespaces(7)): once the old root (and its /proc) is detached, a fresh
 *   `mount -t proc` is refused with EPERM. So /proc is mounted before the old root goes.
 */
import { readMountinfo, type MountEntry } from '../src/kernel/mountinfo.ts';
import { readStatus, sameIdentity } from '../src/kernel/proc.ts';
import { describeProcess, identityAs, labHostPidOf, labHostRootMount, rootKind, ROOT_KIND_TEXT, seesAs, visiblePids } from '../src/labs/facts.ts';
import type { CheckContext } from '../src/labs/context.ts';
import type { CheckResult, Lab } from '../src/labs/legacy.ts';

const OLD_ROOT = '/old_root';

/** The container pane's foreground process, or a failed result saying the pane is gone. */
function containerForeground(ctx: CheckContext, expected: string): number | CheckResult {
  const pid = ctx.foreground.container;
  if (pid === null) return { pass: false, expected, found: 'the container pane has exited' };
  return pid;
}

/** The mount table as `pid` sees it, or a failed result. */
function mountsOf(pid: number, expected: string): MountEntry[] | CheckResult {
  const mounts = readMountinfo(pid);
  if (!mounts) return { pass: false, expected, found: `${describeProcess(pid)} has exited` };
  return mounts;
}

function isResult(value: unknown): value is CheckResult {
  return typeof value === 'object' && value !== null && 'pass' in value;
}

/** Mounts of the lab host's root filesystem (its root directory, not a bind of a subtree) away from '/'. */
function oldRootMounts(mounts: readonly MountEntry[], hostRoot: MountEntry | undefined): MountEntry[] {
  if (!hostRoot) return [];
  return mounts.filter(
    (m) => m.mountPoint !== '/' && m.major === hostRoot.major && m.minor === hostRoot.minor && m.root === hostRoot.root,
  );
}

function underOldRoot(mounts: readonly MountEntry[]): MountEntry[] {
  return mounts.filter((m) => m.mountPoint === OLD_ROOT || m.mountPoint.startsWith(`${OLD_ROOT}/`));
}

/** One probe per check run and process: several checks of a step ask the same question. */
const namespaceRootCache = new WeakMap<CheckContext, Map<number, Promise<boolean | null>>>();

/**
 * Whether the root of `pid`'s mount namespace is the rootfs, i.e. pivot_root made it the root
 * mount (a chroot leaves the namespace's root where it was). /proc cannot show this once the
 * old root is detached, so a probe enters the mount namespace (setns puts the caller at the
 * namespace's root) and stats "/". null: it could not tell (the process went away).
 */
function namespaceRootIsRootfs(ctx: CheckContext, pid: number): Promise<boolean | null> {
  let perContext = namespaceRootCache.get(ctx);
  if (!perContext) namespaceRootCache.set(ctx, (perContext = new Map()));
  let answer = perContext.get(pid);
  if (!answer) {
    answer = (async () => {
      const labHostPid = labHostPidOf(pid);
      if (labHostPid === null) return null;
      const probe = await ctx.exec(`exec nsenter -t ${labHostPid} -m -- stat -c '%d %i' /`);
      const match = /^(\d+) (\d+)\n$/.exec(probe.stdout);
      if (probe.code !== 0 || !match) return null;
      return sameIdentity({ dev: BigInt(match[1]!), ino: BigInt(match[2]!) }, identityAs(ctx.labHost, ctx.rootfs));
    })();
    perContext.set(pid, answer);
  }
  return answer;
}

const CHROOT_NOT_PIVOT = "the root is the rootfs, but the container's mount namespace still has the lab host's root as its root mount: that is a chroot, not pivot_root";

function plural(n: number, word: string, suffix = 'es'): string {
  return `${n} ${n === 1 ? word : `${word}${suffix}`}`;
}

const lab: Lab = {
  id: 'pivot-root',
  title: 'pivot_root: give the container a root of its own',
  summary:
    'Swap the container\'s root for the rootfs with pivot_root, mount a /proc that shows only the container\'s processes, and detach the lab host\'s old root so nothing outside the rootfs can be reached.',
  source: 'seeds/000 (Building a container from scratch), seeds/001 (pivot_root "resource busy" pitfall)',
  start: {
    container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'], root: 'none', proc: false, hostname: 'container' },
  },
  steps: [
    {
      id: 'bind-rootfs',
      title: 'Make $ROOTFS a mount point',
      goal:
        'The container pane already has its own namespaces, but its files are still the lab host\'s: it sits in /root of the lab host. pivot_root will only switch to a new root that is a mount point, and $ROOTFS is just a directory. Bind-mount $ROOTFS onto itself, in the container\'s mount namespace, so it becomes one. The lab host must not see this mount.',
      hints: [
        'A bind mount makes a directory appear somewhere else, and it may be "somewhere else" is the very same path.',
        'Type it in the container pane: the host pane is the lab host, whose mount namespace is a different one.',
        '`findmnt $ROOTFS` (or `grep rootfs /proc/self/mountinfo`) prints nothing while $ROOTFS is a plain directory.',
        'In the container pane: `mount --bind $ROOTFS $ROOTFS`',
      ],
      solution: [{ pane: 'container', command: 'mount --bind $ROOTFS $ROOTFS' }],
      checks: [
        {
          id: 'rootfs-mountpoint',
          title: '$ROOTFS is a mount point in the container, not in the lab host',
          run(ctx) {
            const expected = 'a mount at $ROOTFS in the container\'s mount namespace, and none in the lab host\'s';
            const fg = containerForeground(ctx, expected);
            if (isResult(fg)) return fg;
            const mounts = mountsOf(fg, expected);
            if (isResult(mounts)) return mounts;
            // Already pivoted (or chrooted) into the bind mount: its root is the rootfs mount.
            const inContainer =
              mounts.some((m) => m.mountPoint === ctx.rootfs) ||
              mounts.some((m) => m.mountPoint === '/' && m.root === ctx.rootfs);
            const inHost = (readMountinfo(ctx.labHost) ?? []).some((m) => m.mountPoint === ctx.rootfs);
            if (inContainer && !inHost) {
              return { pass: true, expected, found: `the container's mount table has $ROOTFS as a mount point; the lab host's does not` };
            }
            if (inContainer) {
              return {
                pass: false,
                expected,
                found: 'the container has its bind mount, but the lab host has one at $ROOTFS too (typed in the host pane?): remove it there with `umount $ROOTFS`',
              };
            }
            if (inHost) {
              return {
                pass: false,
                expected,
                found: 'the bind mount is in the lab host\'s mount namespace (the host pane); the container\'s own mount table still has no mount at $ROOTFS',
              };
            }
            return { pass: false, expected, found: `$ROOTFS is still a plain directory for ${describeProcess(fg)} in the container: no mount at ${ctx.rootfs}` };
          },
        },
      ],
    },
    {
      id: 'pivot',
      title: 'pivot_root into the rootfs',
      goal:
        'Make $ROOTFS the container\'s root mount with pivot_root. It also needs a place to put the current root: create the directory old_root inside $ROOTFS, go into $ROOTFS and run `pivot_root . old_root`. Afterwards / is the rootfs, and the lab host\'s whole tree is still mounted at /old_root.',
      hints: [
        'pivot_root takes two directories: the new root, and where the old root should go (it must be inside the new root).',
        'The tutorial works from inside the new root: `cd $ROOTFS`, then `mkdir old_root`.',
        '"Invalid argument" (older kernels: "Device or resource busy") means the new root is not a mount point: check step 1 in this pane.',
        'In the container pane: `cd $ROOTFS && mkdir -p old_root && pivot_root . old_root && cd /`',
      ],
      solution: [
        { pane: 'container', command: 'cd $ROOTFS' },
        { pane: 'container', command: 'mkdir -p old_root' },
        { pane: 'container', command: 'pivot_root . old_root' },
        { pane: 'container', command: 'cd /' },
      ],
      checks: [
        {
          id: 'root-is-rootfs',
          title: 'The container\'s root is the rootfs',
          run(ctx) {
            const expected = `the container's root is ${ROOT_KIND_TEXT.rootfs}`;
            const fg = containerForeground(ctx, expected);
            if (isResult(fg)) return fg;
            const kind = rootKind(ctx, fg);
            return { pass: kind === 'rootfs', expected, found: `the root of ${describeProcess(fg)} is ${ROOT_KIND_TEXT[kind]}` };
          },
        },
        {
          id: 'pivoted',
          title: 'pivot_root moved the old root to /old_root',
          async run(ctx) {
            const expected = 'the rootfs as the root mount of the container\'s mount namespace, with the old root moved to /old_root (what pivot_root does, unlike chroot)';
            const fg = containerForeground(ctx, expected);
            if (isResult(fg)) return fg;
            const mounts = mountsOf(fg, expected);
            if (isResult(mounts)) return mounts;
            const kind = rootKind(ctx, fg);
            if (kind !== 'rootfs') {
              return { pass: false, expected, found: `not pivoted yet: the root of ${describeProcess(fg)} is ${ROOT_KIND_TEXT[kind]}` };
            }
            const old = oldRootMounts(mounts, labHostRootMount(ctx));
            if (old.some((m) => m.mountPoint === OLD_ROOT)) {
              return { pass: true, expected, found: 'the lab host\'s root is mounted at /old_root in the container' };
            }
            if (old.length > 0) {
              const where = old.map((m) => m.mountPoint).join(', ');
              return { pass: false, expected, found: `the old root is mounted at ${where}; this lab expects it at /old_root (\`mkdir /old_root && mount --move ${old[0]!.mountPoint} /old_root\`)` };
            }
            // Nothing of the old root in sight: pivoted and already detached, or only chrooted.
            const pivoted = await namespaceRootIsRootfs(ctx, fg);
            if (pivoted) return { pass: true, expected, found: 'pivoted into the rootfs (and the old root is already detached)' };
            return { pass: false, expected, found: pivoted === null ? `could not look into the mount namespace of ${describeProcess(fg)}` : CHROOT_NOT_PIVOT };
          },
        },
      ],
    },
    {
      id: 'proc',
      title: 'Mount a /proc of the container',
      goal:
        'The rootfs\'s /proc is an empty directory, so `ps` and friends see nothing. Mount a new proc filesystem on /proc in the container: it shows the processes of the container\'s own pid namespace, where your shell is pid 1. Do it now, while the old root is still attached: in a user namespace the kernel only allows a new proc while a fully visible one is still mounted somewhere in the namespace.',
      hints: [
        '/proc is not a directory on disk: it is a filesystem of type proc that the kernel fills in.',
        'A proc filesystem shows the pid namespace of the process that mounts it, so mount it from the container pane.',
        'Binding the old root\'s /proc (/old_root/proc) would show the lab host\'s processes: mount a fresh one.',
        'In the container pane: `mount -t proc proc /proc`',
      ],
      solution: [{ pane: 'container', command: 'mount -t proc proc /proc' }],
      checks: [
        {
          id: 'own-proc',
          title: '/proc in the container shows the container\'s pid namespace',
          run(ctx) {
            const expected = 'a proc on /proc in the container listing only the container\'s processes (its first process is pid 1)';
            const fg = containerForeground(ctx, expected);
            if (isResult(fg)) return fg;
            const pids = visiblePids(ctx, fg);
            if (pids === null) {
              return { pass: false, expected, found: `no proc is mounted on /proc for ${describeProcess(fg)} (ls /proc would be empty)` };
            }
            const status = readStatus(fg);
            const inner = status?.nspid.at(-1);
            if (!status || inner === undefined) return { pass: false, expected, found: `${describeProcess(fg)} has exited` };
            // The entry for the shell's own inner pid must be that same process.
            const sameProcess = pids.includes(inner) && seesAs(ctx, fg, inner, fg);
            if (sameProcess && pids.includes(1)) {
              const who = inner === 1 ? 'the shell itself as pid 1, the container\'s first process' : `the shell as pid ${inner} and the container's first process as pid 1`;
              return { pass: true, expected, found: `/proc lists ${plural(pids.length, 'process')}, with ${who}` };
            }
            const first = ctx.readFileAs(fg, '/proc/1/comm')?.trim() ?? '?';
            return {
              pass: false,
              expected,
              found: `/proc in the container belongs to another pid namespace (the lab host's?): it lists ${plural(pids.length, 'process')}, pid 1 there is ${first}, and the shell (pid ${inner} in the container) is not listed as itself`,
            };
          },
        },
      ],
    },
    {
      id: 'detach-old-root',
      title: 'Detach and remove the old root',
      goal:
        'As long as /old_root is mounted, everything of the lab host is one `cd` away. Detach it, with everything mounted below it, and remove the empty directory. A plain umount refuses because the old root is still in use and has mounts under it; a lazy one detaches it at once. The container\'s root must stay the rootfs.',
      hints: [
        '`cat /proc/self/mountinfo` lists the many mounts below /old_root.',
        '`umount /old_root` says "target is busy": umount has an option to detach a busy mount lazily.',
        'Once nothing is mounted there, /old_root is an empty directory: remove it.',
        'In the container pane: `umount -l /old_root && rmdir /old_root`',
      ],
      solution: [
        { pane: 'container', command: 'umount -l /old_root' },
        { pane: 'container', command: 'rmdir /old_root' },
      ],
      checks: [
        {
          id: 'old-root-detached',
          title: 'Nothing of the old root is mounted in the container',
          async run(ctx) {
            const expected = 'no mount at or under /old_root, and the root still the rootfs';
            const fg = containerForeground(ctx, expected);
            if (isResult(fg)) return fg;
            const mounts = mountsOf(fg, expected);
            if (isResult(mounts)) return mounts;
            const kind = rootKind(ctx, fg);
            if (kind !== 'rootfs') return { pass: false, expected, found: `the root of ${describeProcess(fg)} is ${ROOT_KIND_TEXT[kind]}` };
            const left = [...new Set([...oldRootMounts(mounts, labHostRootMount(ctx)), ...underOldRoot(mounts)].map((m) => m.mountPoint))];
            if (left.length === 0) {
              // A chroot also hides the old root from mountinfo; only a pivot removes it from the namespace.
              const pivoted = await namespaceRootIsRootfs(ctx, fg);
              if (!pivoted) return { pass: false, expected, found: pivoted === null ? `could not look into the mount namespace of ${describeProcess(fg)}` : CHROOT_NOT_PIVOT };
              return { pass: true, expected, found: `the container's mount table has ${plural(mounts.length, 'mount', 's')} and none of them is the old root or under it` };
            }
            const shown = left.slice(0, 3).join(', ') + (left.length > 3 ? `, ... (${left.length} in all)` : '');
            return { pass: false, expected, found: `the old root is still mounted in the container: ${shown}` };
          },
        },
        {
          id: 'old-root-removed',
          title: 'The /old_root directory is gone',
          run(ctx) {
            const expected = 'no /old_root in the container\'s root';
            const fg = containerForeground(ctx, expected);
            if (isResult(fg)) return fg;
            const kind = rootKind(ctx, fg);
            if (kind !== 'rootfs') return { pass: false, expected, found: `the root of ${describeProcess(fg)} is ${ROOT_KIND_TEXT[kind]}` };
            if (!ctx.existsAs(fg, OLD_ROOT)) return { pass: true, expected, found: '/old_root no longer exists in the container' };
            const mounted = underOldRoot(readMountinfo(fg) ?? []).length > 0;
            return {
              pass: false,
              expected,
              found: mounted ? '/old_root is still there, with the old root mounted on it (rmdir says busy)' : '/old_root is detached but the empty directory is still there',
            };
          },
        },
      ],
    },
  ],
};

export default lab;
