/**
 * /proc leakage: a chroot hides files, not processes. The chrooted shell mounts a proc, sees
 * the lab host's processes, reads a secret out of one and kills another; then a pid namespace
 * with a proc of its own puts them out of sight and out of reach.
 *
 * The setup plants two services on the lab host, outside the rootfs: "vault" (a secret in its
 * environment) and "webserver" (the one the student kills). Both are copies of sleep(1) under
 * those names, so `ps` and /proc/<pid>/comm name them plainly.
 */
import { readMountinfo } from '../src/kernel/mountinfo.ts';
import { isAlive, readComm, readEnviron, readStatus } from '../src/kernel/proc.ts';
import type { CheckContext, PlantedProcess } from '../src/labs/context.ts';
import { describeProcess, namespaceOf, rootKind, ROOT_KIND_TEXT, seesAs, visiblePids } from '../src/labs/facts.ts';
import type { CheckResult, Lab } from '../src/labs/legacy.ts';

const VAULT = 'vault';
const WEBSERVER = 'webserver';
const STOLEN = '/stolen.txt';
const RESTART = 'reset the lab (Ctrl-g r) for a fresh one';

// chroot(1) into a plain directory leaves the chrooted shell with a root that is not a mount:
// `unshare --mount` then fails ("cannot change root filesystem propagation: Invalid argument",
// it makes "/" private first). Binding the rootfs onto itself, as container runtimes do, lets
// the tutorial's unshare work inside the chroot. The chroot still shares every namespace.
const SETUP = String.raw`set -eu
mount --bind /labs/rootfs /labs/rootfs
mkdir -p /run/nslab/planted /opt/services
cp "$(command -v sleep)" /opt/services/vault
cp "$(command -v sleep)" /opt/services/webserver
secret="nslab-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
cd /
env -i HOME=/var/lib/vault VAULT_ADDR=127.0.0.1:8200 NSLAB_SECRET="$secret" /opt/services/vault infinity </dev/null >/dev/null 2>&1 &
echo $! >/run/nslab/planted/vault
env -i HOME=/var/www PORT=8080 /opt/services/webserver infinity </dev/null >/dev/null 2>&1 &
echo $! >/run/nslab/planted/webserver
`;

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * A planted process: its pid as the lab host numbers it, and its real pid (for /proc here), or
 * null once it has died. The name must match too, in case the lab host reused the pid.
 */
function planted(ctx: CheckContext, name: string): PlantedProcess | null {
  const found = ctx.planted(name);
  if (found === null) return null;
  const { labHostPid, real } = found;
  const alive = real !== null && isAlive(real) && readComm(real) === name;
  return { labHostPid, real: alive ? real : null };
}

/** "a proc is mounted at /mnt" for a process whose /proc is empty. */
function procElsewhere(pid: number): string {
  const mounts = (readMountinfo(pid) ?? []).filter((m) => m.fsType === 'proc' && m.mountPoint !== '/proc');
  if (mounts.length === 0) return '/proc is an empty directory';
  const where = [...new Set(mounts.map((m) => m.mountPoint))].join(', ');
  return `a proc is mounted at ${where}, but ps and ls look in /proc`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 'es'}`;
}

const GONE_PANE: CheckResult = { pass: false, expected: '', found: 'the container pane has exited' };

function fail(expected: string, found: string): CheckResult {
  return { pass: false, expected, found };
}

// ---------------------------------------------------------------------------------------------
// checks

function seesTheVault(ctx: CheckContext): CheckResult {
  const expected = "the chrooted shell's /proc lists the lab host's processes, the vault among them";
  const fg = ctx.foreground.container;
  if (fg === null) return { ...GONE_PANE, expected };
  const kind = rootKind(ctx, fg);
  if (kind !== 'rootfs') {
    return fail(expected, `the container pane runs ${describeProcess(fg)}, whose root is ${ROOT_KIND_TEXT[kind]}; this step is about a shell still chrooted into $ROOTFS`);
  }
  const pids = visiblePids(ctx, fg);
  if (pids === null) return fail(expected, `nothing is mounted on /proc inside the chroot: ${procElsewhere(fg)}`);
  const vault = planted(ctx, VAULT);
  if (vault?.real == null) return fail(expected, `the vault process is gone; ${RESTART}`);
  if (!pids.includes(vault.labHostPid) || !seesAs(ctx, fg, vault.labHostPid, vault.real)) {
    return fail(expected, `the chroot's /proc lists ${plural(pids.length, 'process')}, but not the vault (lab-host pid ${vault.labHostPid}): that proc belongs to another pid namespace`);
  }
  return { pass: true, expected, found: `the chroot's /proc lists ${plural(pids.length, 'process')} of the lab host, the vault (pid ${vault.labHostPid}) among them` };
}

function secretStolen(ctx: CheckContext): CheckResult {
  const expected = `${STOLEN} in the container holds the vault's NSLAB_SECRET`;
  const vault = planted(ctx, VAULT);
  const secret = vault?.real == null ? undefined : readEnviron(vault.real)?.NSLAB_SECRET;
  if (!secret || vault === null) return fail(expected, `the vault process is gone, and its secret with it; ${RESTART}`);
  const text = ctx.readFileAs(ctx.labHost, `${ctx.rootfs}${STOLEN}`);
  if (text === null) return fail(expected, `there is no ${STOLEN} in the container (no $ROOTFS${STOLEN} on the lab host)`);
  if (!text.includes(secret)) {
    const hint = text.includes('NSLAB_SECRET') ? ' (it names NSLAB_SECRET, but with another value)' : '';
    return fail(expected, `${STOLEN} has ${text.length} bytes, but not the vault's secret${hint}: read the environ of the vault (lab-host pid ${vault.labHostPid})`);
  }
  return { pass: true, expected, found: `${STOLEN} holds the vault's secret, read out of /proc/${vault.labHostPid}/environ` };
}

function webserverKilled(ctx: CheckContext): CheckResult {
  const expected = 'the webserver is dead and the vault still runs';
  const web = planted(ctx, WEBSERVER);
  const vault = planted(ctx, VAULT);
  if (web === null || vault === null) return fail(expected, `nslab cannot find the planted processes; ${RESTART}`);
  const vaultAlive = vault.real !== null;
  if (web.real !== null) {
    const stopped = readStatus(web.real)?.state === 'T';
    const what = stopped ? 'is stopped, not dead: it keeps other signals pending until it is continued (kill -CONT) or gets SIGKILL' : 'still runs';
    return fail(expected, `the webserver (lab-host pid ${web.labHostPid}) ${what}${vaultAlive ? '' : ', and the vault is dead'}`);
  }
  if (!vaultAlive) return fail(expected, `the webserver is dead, but so is the vault, which the next step needs alive; ${RESTART}`);
  return { pass: true, expected, found: `the webserver (lab-host pid ${web.labHostPid}) is dead; the vault (pid ${vault.labHostPid}) still runs` };
}

function ownPidNamespace(ctx: CheckContext): CheckResult {
  const expected = "the container's shell is in a pid namespace of its own";
  const fg = ctx.foreground.container;
  if (fg === null) return { ...GONE_PANE, expected };
  const relation = namespaceOf(ctx, fg, 'pid');
  if (relation === 'own') {
    const nspid = readStatus(fg)?.nspid ?? [];
    return { pass: true, expected, found: `${describeProcess(fg)} has its own pid namespace, where it is pid ${nspid.at(-1) ?? '?'}` };
  }
  if (relation === 'shared') return fail(expected, `${describeProcess(fg)} in the container pane shares the lab host's pid namespace`);
  return fail(expected, `the pid namespace of ${describeProcess(fg)} cannot be read`);
}

function ownProc(ctx: CheckContext): CheckResult {
  const expected = "the container's /proc belongs to its own pid namespace: it lists only the container's processes";
  const fg = ctx.foreground.container;
  if (fg === null) return { ...GONE_PANE, expected };
  const pids = visiblePids(ctx, fg);
  if (pids === null) return fail(expected, `nothing is mounted on /proc in the container: ${procElsewhere(fg)}`);
  const vault = planted(ctx, VAULT);
  const showsVault = vault?.real != null && seesAs(ctx, fg, vault.labHostPid, vault.real);
  const leak = showsVault ? `, the vault (pid ${vault.labHostPid}) among them` : '';
  if (namespaceOf(ctx, fg, 'pid') !== 'own') {
    return fail(expected, `${describeProcess(fg)} shares the lab host's pid namespace, so its /proc lists ${plural(pids.length, 'process')} of the lab host${leak}`);
  }
  const self = readStatus(fg)?.nspid.at(-1);
  if (self === undefined || !seesAs(ctx, fg, self, fg)) {
    return fail(expected, `the shell has its own pid namespace, but its /proc is an old one: it lists ${plural(pids.length, 'process')} from another pid namespace${leak}; mount a fresh proc`);
  }
  return { pass: true, expected, found: `the container's /proc lists ${plural(pids.length, 'process')}, all of its own pid namespace (the shell is pid ${self} there)` };
}

function vaultOutOfReach(ctx: CheckContext): CheckResult {
  const expected = "the vault still runs, and the container can neither see it in /proc nor signal it";
  const fg = ctx.foreground.container;
  if (fg === null) return { ...GONE_PANE, expected };
  const vault = planted(ctx, VAULT);
  if (vault?.real == null) return fail(expected, `the vault process is gone; ${RESTART}`);
  const fgPids = readStatus(fg)?.nspid;
  const vaultPids = readStatus(vault.real)?.nspid;
  if (!fgPids || !vaultPids) return fail(expected, `${describeProcess(fg)} or the vault exited while nslab looked`);
  // kill(2) reaches the processes of the caller's pid namespace and of those nested in it. The
  // vault lives in the lab host's; it is out of reach once the shell's namespace is another one
  // that is no shallower than the vault's (so cannot contain it).
  const reachable = namespaceOf(ctx, fg, 'pid') !== 'own' || vaultPids.length > fgPids.length;
  if (reachable) return fail(expected, `the container shares the lab host's pid namespace: \`kill ${vault.labHostPid}\` there would still reach the vault`);
  if (seesAs(ctx, fg, vault.labHostPid, vault.real)) {
    return fail(expected, `kill cannot reach the vault any more, but it still shows in the container's /proc as pid ${vault.labHostPid}, environment and all`);
  }
  return { pass: true, expected, found: `the vault (lab-host pid ${vault.labHostPid}) still runs, outside the container's pid namespace and its /proc` };
}

// ---------------------------------------------------------------------------------------------

const lab: Lab = {
  id: 'proc-leakage',
  title: '/proc leakage: what a chroot does not hide',
  summary:
    "A chroot hides the lab host's files, not its processes: mount /proc inside one and you can list them, read their secrets and kill them. A pid namespace with a /proc of its own puts them out of sight and out of reach.",
  source: 'seeds/002 "Containers From Scratch Part 1": chroot, mount -t proc, ps, pkill, then unshare --pid --fork with a fresh /proc (--mount-proc)',
  start: { container: { namespaces: [], root: 'chroot', proc: false }, setup: SETUP },
  steps: [
    {
      id: 'mount-proc',
      title: "Mount /proc in the chroot and find the lab host's processes",
      goal:
        "The container pane is a shell chrooted into $ROOTFS, and nothing else: it shares every namespace with the lab host. Its /proc is an empty directory, so ps has nothing to read. Mount a proc filesystem on /proc inside the chroot and list the processes. Among them are two services the lab host runs outside the rootfs: vault and webserver. (The chroot shares the lab host's mount namespace, so a proc mounted on $ROOTFS/proc from the host pane would land here just the same.)",
      hints: [
        'ps reads everything it shows from the proc filesystem, and the chroot has none yet.',
        'mount -t <type> <source> <directory>: the type is proc, the source name does not matter.',
        'In the container pane: `mount -t proc proc /proc`, then `ps aux` (or `ls /proc`).',
      ],
      solution: [
        { pane: 'container', command: 'mount -t proc proc /proc' },
        { pane: 'container', command: 'ps aux' },
      ],
      checks: [{ id: 'sees-vault', title: "The chroot's /proc shows the lab host's vault", run: seesTheVault }],
    },
    {
      id: 'read-secret',
      title: "Read a secret out of the vault's environment",
      goal:
        `/proc/<pid>/environ holds the environment a process started with, and root in the chroot is root on the lab host. The vault keeps a password in NSLAB_SECRET. Read it from inside the chroot, and save the line into ${STOLEN} in the container, as a thief would.`,
      hints: [
        "ps shows the vault's pid; /proc/<pid>/ has a file with its environment.",
        "The entries of environ are separated by NUL bytes: tr '\\0' '\\n' turns them into lines.",
        `In the container pane: \`tr '\\0' '\\n' < /proc/<vault pid>/environ | grep NSLAB_SECRET > ${STOLEN}\` (the pid from \`ps -C vault\`).`,
      ],
      solution: [
        { pane: 'container', command: 'ps -C vault' },
        { pane: 'container', command: `tr '\\0' '\\n' < /proc/$(ps -C vault -o pid= | tr -d ' ')/environ | grep NSLAB_SECRET > ${STOLEN}` },
        { pane: 'container', command: `cat ${STOLEN}` },
      ],
      checks: [{ id: 'secret-stolen', title: `${STOLEN} holds the vault's secret`, run: secretStolen }],
    },
    {
      id: 'kill-webserver',
      title: "Kill the lab host's webserver from the chroot",
      goal:
        'Seeing is not all: the chroot shares the lab host\'s pid namespace, so the pids in its /proc are pids kill(2) accepts. Kill the webserver from the container pane. Leave the vault alone: the last step needs it.',
      hints: [
        "kill takes the pid ps shows in the chroot, the same number the lab host uses (the tutorial's pkill is not in this rootfs).",
        'ps -C webserver prints just the webserver.',
        'In the container pane: `kill <webserver pid>`, for example `kill $(ps -C webserver -o pid=)`.',
      ],
      solution: [
        { pane: 'container', command: 'kill $(ps -C webserver -o pid=)' },
        { pane: 'container', command: 'ps aux' },
      ],
      checks: [{ id: 'webserver-killed', title: 'The webserver is dead, the vault alive', run: webserverKilled }],
    },
    {
      id: 'pid-namespace',
      title: 'Put the lab host out of reach with a pid namespace',
      goal:
        "From the chrooted shell, start a new shell in a pid namespace of its own (it needs --fork) and a mount namespace of its own, and mount a fresh proc on /proc there. Then ps and ls /proc list only the container's own processes, and the vault, still running on the lab host, can neither be read nor killed from the container. Keep that shell in the foreground of the container pane. One hole stays open on purpose: the old /proc still lies under the new one, and root here could unmount the new one to see it again; pivot_root, in a later lab, removes it.",
      hints: [
        'unshare(1) starts a command in new namespaces; its flags name them.',
        'A new pid namespace only applies to children: --pid needs --fork. Without a fresh proc, /proc still shows the old pid namespace.',
        'In the container pane: `unshare --pid --fork --mount bash`, then `mount -t proc proc /proc` (or in one go: `unshare --pid --fork --mount-proc bash`).',
      ],
      solution: [
        { pane: 'container', command: 'unshare --pid --fork --mount bash' },
        { pane: 'container', command: 'mount -t proc proc /proc' },
        { pane: 'container', command: 'ps aux' },
      ],
      checks: [
        { id: 'own-pid-namespace', title: "The container's shell has its own pid namespace", run: ownPidNamespace },
        { id: 'own-proc', title: "The container's /proc shows only its own processes", run: ownProc },
        { id: 'vault-out-of-reach', title: 'The vault runs on, out of sight and out of reach', run: vaultOutOfReach },
      ],
    },
  ],
};

export default lab;
