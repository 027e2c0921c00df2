/**
 * The blast-radius suite (issue 9): what an attacker at the keyboard of every shell a lab
 * offers can do to the real machine, and to nslab. The real app runs the chroot-escape lab;
 * destructive actions are typed into the host pane, the chrooted container pane, the shell the
 * escape program leaves behind and a nested `unshare` shell. After each one the real machine's
 * mounts, links, hostname, sysctls, kernel modules, files and processes must be exactly as
 * before, and the app must still answer keys (its help opens and closes).
 *
 * Each action ends in a marker echo (`br-<n>` computed by the shell, so the typed text never
 * matches it); a shell the action killed simply shows no marker, which is allowed: the app
 * answering keys is what counts then.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readStartTime, readStatus, listPids } from '../src/kernel/proc.ts';
import { descendantsOf } from '../src/world/pids.ts';
import { namespaceDepthBelow, pidNamespaceOf } from '../src/world/lab-process.ts';
import type { FileIdentity } from '../src/kernel/proc.ts';
import { AppUnderTest } from './support/app.ts';
import { eventually, guardRealMachine, hostSnapshot, leftoverProcesses } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

type Pane = 'host' | 'container';
interface Action {
  /** Which shell it runs in, for the report. */
  readonly shell: 'host' | 'chroot' | 'escaped' | 'nested' | 'keys';
  readonly pane: Pane;
  readonly what: string;
  /** Shell input (a line), or raw keys for the app when `shell` is 'keys'. */
  readonly input: string;
  /** How long the marker may take (floods, bombs). */
  readonly waitMs?: number;
}

/** Sysctls an action tries to write; the real values must not move. */
const SYSCTLS = [
  'kernel/hostname', 'kernel/domainname', 'kernel/core_pattern', 'kernel/sysrq', 'kernel/modprobe', 'kernel/panic',
  'kernel/randomize_va_space', 'kernel/dmesg_restrict', 'net/ipv4/ip_forward', 'net/ipv4/conf/all/forwarding',
  'net/core/somaxconn', 'vm/swappiness', 'vm/overcommit_memory', 'fs/protected_symlinks', 'user/max_user_namespaces',
].filter((s) => existsSync(`/proc/sys/${s}`));

/** Files an action tries to change, read or replace. */
const FILES = ['/etc/passwd', '/etc/shadow', '/etc/group', '/etc/hosts', '/etc/hostname', '/usr/bin/mount', '/usr/bin/bash'];

let sentinelDir: string;
let sentinel: ChildProcess;
let sentinelStart: string | null;
let app: AppUnderTest;
let focus: Pane = 'container';

const sha = (path: string): string => {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'error';
  }
};

/** The app's lab worlds' outermost user namespaces (level 1's), from its processes nested 2 pid namespaces deep. */
function labUserNamespaces(): FileIdentity[] {
  const found: FileIdentity[] = [];
  for (const pid of descendantsOf(app.pid)) {
    if (readStatus(pid)?.nspid.length !== 2) continue;
    const ns = pidNamespaceOf(pid, 'user');
    if (ns && !found.some((f) => f.dev === ns.dev && f.ino === ns.ino)) found.push(ns);
  }
  return found;
}

/** Everything of the real machine an action might change. */
function machine(): Record<string, string> {
  // A lab process outside the app's tree would have got out of the lab's pid namespaces. (Asked
  // of the worlds alive now: a dead world's namespace inode may since be another's.)
  const labNss = labUserNamespaces();
  const tree = new Set([app.pid, ...descendantsOf(app.pid)]);
  const strays = listPids().filter((pid) => !tree.has(pid) && labNss.some((ns) => namespaceDepthBelow(pid, 'user', ns) !== null));
  const { mounts, links } = hostSnapshot();
  return {
    mounts,
    links,
    hostname: readFileSync('/proc/sys/kernel/hostname', 'utf8'),
    sysctls: SYSCTLS.map((s) => `${s}=${readFileSync(`/proc/sys/${s}`, 'utf8').trim()}`).join('\n'),
    modules: existsSync('/sys/module') ? readdirSync('/sys/module').sort().join(' ') : 'none',
    files: FILES.map((f) => `${f} ${sha(f)}`).join('\n'),
    etc: readdirSync('/etc').sort().join(' '),
    usrBin: readdirSync('/usr/bin').sort().join(' '),
    sentinelFiles: readdirSync(sentinelDir).map((f) => `${f} ${sha(join(sentinelDir, f))}`).join('\n'),
    sentinelProcess: `${sentinel.pid} ${readStartTime(sentinel.pid!) ?? 'gone'} (was ${sentinelStart})`,
    strayLabProcesses: strays.map((pid) => `${pid} ${readStatus(pid)?.name}`).join('; '),
  };
}

/** The process started for this pane (node-pty's child) and the shells under it. */
const half = (pane: Pane): string => app.half(pane === 'host' ? 'left' : 'right');

function focusOn(pane: Pane): void {
  if (focus !== pane) app.type('\x07\t');
  focus = pane;
}

/** The app answers keys: its help opens and closes again. */
async function answersKeys(): Promise<void> {
  app.type('\x07?');
  await app.waitFor((s) => s.includes('nslab keys'), 'the help to open', 15_000);
  app.type('\x07?');
  await app.waitFor((s) => !s.includes('nslab keys'), 'the help to close', 15_000);
}

let markers = 0;
/** Types a line into a pane and waits for its marker; false when the shell did not answer (it may have been killed). */
async function run(pane: Pane, line: string, waitMs = 8_000): Promise<boolean> {
  focusOn(pane);
  const n = ++markers;
  // Ctrl-U first: whatever a flood's terminal replies left on the input line goes.
  app.type(`\x15${line}; echo br-$((${n}*7))\r`);
  try {
    // A shell the action killed (a limit's OOM kill, reboot) is reported by the app: no marker will come.
    await app.waitFor((screen) => half(pane).includes(`br-${n * 7}`) || screen.includes(`The ${pane} shell exited`), `marker ${n} after: ${line}`, waitMs);
    return half(pane).includes(`br-${n * 7}`);
  } catch {
    return false;
  }
}

/** Starts a new shell in a pane (no marker on its line: it returns only when that shell ends) and waits for it to answer. */
async function enterShell(pane: Pane, line: string): Promise<boolean> {
  focusOn(pane);
  app.type(`\x15${line}\r`);
  return run(pane, 'true');
}

/** Ctrl-g r, when a limit's OOM kill took a pane's shell: waits for the fresh world to answer in the host pane. */
async function freshWorld(): Promise<void> {
  app.type('\x07r');
  await app.waitFor((s) => s.includes('A fresh lab world'), 'the reset', 30_000);
  for (let attempt = 0; attempt < 5; attempt++) if (await run('host', 'true', 5_000)) return;
  throw new Error(`no shell after the reset:\n${app.screen()}`);
}

// Setup steps between the shells (not counted as actions).
const ESCAPE = 'escape /bin/bash';
const NESTED = 'unshare --user --map-root-user --mount --pid --fork --mount-proc --net --uts --ipc bash --norc';

const CHROOT: Action[] = [
  { shell: 'chroot', pane: 'container', what: 'mounts: tmpfs, bind of /, remount /usr rw, umount /usr', input: 'mount -t tmpfs nslab-blast /mnt; mount --bind / /mnt; mount -o remount,rw /usr; umount -l /usr 2>&1 | head -2' },
  { shell: 'chroot', pane: 'container', what: 'sysctl and hostname writes', input: 'mkdir -p /proc && mount -t proc proc /proc; echo 1 > /proc/sys/net/ipv4/ip_forward; echo pwned > /proc/sys/kernel/hostname; hostname pwned-ct; echo "|/tmp/x" > /proc/sys/kernel/core_pattern' },
  { shell: 'chroot', pane: 'container', what: '/proc/*/root: reach files outside the chroot', input: 'for r in /proc/*/root; do cat $r/etc/shadow $r/tmp/nslab-blast-*/secret; echo pwned > $r/tmp/nslab-blast-*/secret; done 2>/dev/null | head -c 200' },
  { shell: 'chroot', pane: 'container', what: 'devices: mknod a disk, read /dev/mem, write /dev/full', input: 'mknod /tmp/sda b 8 0; mknod /tmp/mem c 1 1; head -c 10 /dev/mem; echo x > /dev/full' },
  { shell: 'chroot', pane: 'container', what: 'rootfs filling (the chroot\'s files)', input: 'head -c 300M /dev/zero > /fill; ls -la /fill; rm -f /fill' , waitMs: 30_000 },
];

const ESCAPED: Action[] = [
  { shell: 'escaped', pane: 'container', what: 'files: write /etc and /usr, replace the treasure', input: 'touch /etc/nslab-pwned /usr/bin/nslab-pwned; echo x >> /etc/passwd; echo x > /etc/hostname; ln -sf /etc/shadow /root/shadow-link; cat /root/shadow-link' },
  { shell: 'escaped', pane: 'container', what: 'a FIFO where a check reads, fed by a writer (finding 2)', input: 'rm -f /root/treasure.txt; mkfifo /root/treasure.txt; (yes treasure > /root/treasure.txt 2>/dev/null &)' },
  { shell: 'escaped', pane: 'container', what: 'links: add, delete lo, move to pid 1', input: 'ip link add nslab-bl0 type dummy; ip link add nslab-bl1 type veth peer name nslab-bl2; ip link set nslab-bl2 netns 1; ip link set lo down; ip link del lo' },
  { shell: 'escaped', pane: 'container', what: 'signals: SIGKILL, SIGTERM, SIGSTOP to the lab host init', input: 'kill -9 1; kill -TERM 1; kill -STOP 1; kill -CONT 1' },
];

const HOST: Action[] = [
  { shell: 'host', pane: 'host', what: 'hostname and domainname', input: 'hostname pwned; domainname pwned; hostname' },
  { shell: 'host', pane: 'host', what: 'sysctls: core_pattern, sysrq, modprobe, swappiness', input: 'sysctl -w kernel.core_pattern="|/bin/sh" kernel.sysrq=1 kernel.modprobe=/tmp/x vm.swappiness=1 net.ipv4.ip_forward=1 2>&1 | head -3; echo h > /proc/sysrq-trigger' },
  { shell: 'host', pane: 'host', what: '/sys writes', input: 'for f in /sys/kernel/mm/ksm/run /sys/kernel/uevent_helper /sys/power/state /sys/class/net/lo/mtu; do echo 1 > $f; done 2>&1 | head -2' },
  { shell: 'host', pane: 'host', what: 'modules: modprobe, insmod, rmmod', input: 'modprobe dummy; insmod /lib/modules/$(uname -r)/kernel/drivers/net/dummy.ko; rmmod loop; rmmod ext4 2>&1 | head -1' },
  { shell: 'host', pane: 'host', what: 'mounts: remount /usr and /etc rw, make / shared, mount sysfs and cgroup', input: 'mount -o remount,rw /usr; mount -o remount,rw /etc; mount --make-rshared /; mount -t sysfs sys /mnt; mount -t cgroup2 none /mnt; mount -t devtmpfs dev /mnt 2>&1 | head -2' },
  { shell: 'host', pane: 'host', what: 'nsenter -t 1 into everything', input: 'nsenter -t 1 -a hostname; nsenter -t 1 -m -u -n -p -i -U -- sh -c "hostname pwned; touch /etc/pwned"' },
  { shell: 'host', pane: 'host', what: '/proc/1: environ, fds, mem, root', input: 'cat /proc/1/environ | head -c 100; ls -l /proc/1/fd; for f in /proc/1/fd/*; do timeout 1 cat $f; done 2>/dev/null | head -c 100; echo x > /proc/1/mem; ls /proc/1/root/' },
  { shell: 'host', pane: 'host', what: 'ptrace: attach to the lab host init (PTRACE_ATTACH)', input: 'perl -e \'print syscall(101, 16, 1, 0, 0), " $!\\n"\'' },
  { shell: 'host', pane: 'host', what: 'fds: every fd of every lab process, written to', input: 'for f in /proc/[0-9]*/fd/*; do echo pwned 2>/dev/null > $f & done; wait; ls -l /proc/self/fd' },
  { shell: 'host', pane: 'host', what: 'terminal-attacking escapes', input: 'printf "\\e[?1049h\\e[?1000h\\e[?1006h\\e[?2004h\\e]52;c;cHduZWQ=\\a\\e]0;pwned\\a\\e[6n\\e[c\\e[>c\\eP+q544e\\e\\\\\\e[21t\\e[?25l\\e[?5h\\e[200~\\e#8\\e(0\\ec"' },
  { shell: 'host', pane: 'host', what: 'a binary flood (1 MB of random bytes)', input: 'head -c 1M /dev/urandom; printf "\\ec"', waitMs: 60_000 },
  { shell: 'host', pane: 'host', what: 'combining-mark amplification (a + 1000 marks, 20 times)', input: 'perl -CO -e \'print "a", "\\x{301}" x 1000, "\\n" for 1..20\'', waitMs: 30_000 },
];

/** Actions that may end in the out-of-memory killer taking the pane's shell: a fresh world follows each if so. */
const FILLS: Action[] = [
  { shell: 'host', pane: 'host', what: 'a fork bomb in a pid namespace of its own, bounded by the task limit', input: 'unshare --pid --fork --kill-child bash -c \'b() { b | b & }; b; sleep 5; ps -e | wc -l\'; echo bomb-over', waitMs: 60_000 },
  { shell: 'host', pane: 'host', what: 'a memory hog (tail keeps all of a newline-free stream), past the memory limit', input: 'head -c 1600M /dev/zero | tail -c 1600M | wc -c', waitMs: 60_000 },
  { shell: 'host', pane: 'host', what: 'an extra tmpfs of 100g filled past the memory limit', input: 'mount -t tmpfs -o size=100g nslab-fill /mnt && timeout -s KILL 10 head -c 1400M /dev/zero > /mnt/fill; ls -la /mnt/fill; umount /mnt', waitMs: 30_000 },
  { shell: 'host', pane: 'host', what: 'the lab host\'s root filled past the memory limit', input: 'timeout -s KILL 10 head -c 1400M /dev/zero > /root/fill; ls -la /root/fill; rm -f /root/fill', waitMs: 30_000 },
];

const NESTED_ACTIONS: Action[] = [
  { shell: 'nested', pane: 'host', what: 'uncover the lab host\'s and level 1\'s /proc', input: 'umount /proc; umount /proc; ls /proc | head -c 100; cat /proc/1/status | grep -E "^(Name|NSpid)"' },
  { shell: 'nested', pane: 'host', what: 'level 1: its mem, fds, environ, root', input: 'echo x > /proc/1/mem; cat /proc/1/environ; ls -l /proc/1/fd; ls /proc/1/root; for f in /proc/1/fd/*; do echo pwned > $f; done 2>&1 | head -2' },
  { shell: 'nested', pane: 'host', what: 'nsenter -t 1 from the uncovered /proc', input: 'nsenter -t 1 -a true; nsenter -t 1 -m -U -- cat /etc/hostname 2>&1 | head -1' },
  { shell: 'nested', pane: 'host', what: 'reboot(2) of the nested pid namespace', input: 'unshare --pid --fork sh -c "reboot -f; echo reboot-returned $?"' },
  { shell: 'nested', pane: 'host', what: 'mounts in the nested mount namespace over /usr and /etc', input: 'mount -t tmpfs nslab-n /usr; mount -t tmpfs nslab-n /etc; ls /usr; umount /etc; umount /usr 2>&1 | head -1' },
  // No marker: the nested shell is gone and the host pane's shell takes over.
  { shell: 'nested', pane: 'host', what: 'kill every process it can, then leave', input: 'kill -9 -1; exit', waitMs: 1_500 },
];

const FINAL: Action[] = [
  { shell: 'keys', pane: 'host', what: 'an unterminated paste start typed at nslab (finding 7)', input: '\x1b[200~' },
  { shell: 'host', pane: 'host', what: 'rm -rf / in the lab host', input: 'rm -rf --no-preserve-root --one-file-system / 2>/dev/null; ls /', waitMs: 30_000 },
  { shell: 'host', pane: 'host', what: 'reboot(2) of the lab host', input: 'reboot -f; sleep 1', waitMs: 2_000 },
];

beforeAll(async () => {
  sentinelDir = mkdtempSync('/tmp/nslab-blast-');
  writeFileSync(join(sentinelDir, 'secret'), 'REAL-SECRET\n', { mode: 0o600 });
  sentinel = spawn('sleep', ['600'], { stdio: 'ignore' });
  sentinelStart = readStartTime(sentinel.pid!);
  app = new AppUnderTest(['chroot-escape']);
  await app.waitFor((s) => /root@host/.test(app.half('left')) && /root@host/.test(app.half('right')), 'both prompts', 30_000);
});

afterAll(async () => {
  app?.kill();
  await app?.exited;
  // The world's cgroup reaper finishes a moment after the app is gone.
  await eventually(() => leftoverProcesses().length === 0, 10_000);
  sentinel?.kill('SIGKILL');
  rmSync(sentinelDir, { recursive: true, force: true });
});

it('the real machine survives every action in every shell, and nslab keeps answering', async () => {
  const before = machine();
  const changed: string[] = [];
  let tried = 0;
  const timings: string[] = [];
  const attempt = async (action: Action): Promise<void> => {
    tried++;
    const started = Date.now();
    if (action.shell === 'keys') {
      app.type(action.input);
      await new Promise((r) => setTimeout(r, 600)); // a pause: the paste start must lapse
      app.type('\x1b[201~'); // and the pane's bash, which got the start, is told the paste ended
    } else {
      await run(action.pane, action.input, action.waitMs);
    }
    await answersKeys();
    timings.push(`${((Date.now() - started) / 1000).toFixed(1)} s  ${action.shell}: ${action.what}`);
    const after = machine();
    for (const [key, value] of Object.entries(after)) {
      if (value !== before[key]) changed.push(`${action.shell}: ${action.what}: ${key} changed: ${value.slice(0, 300)}`);
    }
    expect(changed, `after ${action.shell}: ${action.what}\n${app.screen()}`).toEqual([]);
  };

  for (const action of CHROOT) await attempt(action);
  expect(await enterShell('container', ESCAPE)).toBe(true);
  for (const action of ESCAPED) await attempt(action);
  for (const action of HOST) await attempt(action);
  expect(await enterShell('host', NESTED)).toBe(true);
  for (const action of NESTED_ACTIONS) await attempt(action);
  for (const action of FILLS) {
    await attempt(action);
    if (!(await run('host', 'true', 3_000))) await freshWorld();
  }
  for (const action of FINAL) await attempt(action);

  if (process.env.NSLAB_BLAST_TIMINGS) console.log(timings.join('\n'));
  console.log(`blast radius: ${tried} tried, ${changed.length} changed`);
  expect(tried).toBeGreaterThanOrEqual(30);
  expect(changed).toEqual([]);

  app.type('\x07q');
  expect(await app.exited).toBe(0);
}, 240_000);
