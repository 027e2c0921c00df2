/**
 * The lab world: a throwaway tree of namespaces in which everything a student types runs.
 *
 *   nslab (real machine) ── level 1: user+mount+pid, tmpfs root being assembled
 *                             └─ level 2, the lab host: user+mount+pid+net+uts+ipc+cgroup
 *
 * The kernel owns its lifetime: level 1 is pid 1 of its pid namespace and carries a
 * parent-death signal, so when nslab exits, crashes or is killed, the kernel kills every lab
 * process and drops every mount, namespace and veth with them. Nothing is cleaned up by hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { setCloseOnExec } from '../../native/libc.ts';
import { readFileAs } from '../kernel/in-root.ts';
import { NslabError } from '../errors.ts';
import { mark } from '../trace.ts';
import { claimedLabIdentity, type LabIdentity } from './identity.ts';
import { readWorldScript } from './scripts.ts';
import { listChildren, type FileIdentity } from '../kernel/proc.ts';
import { findRealPid } from './pids.ts';
import { isLabProcess, withLabProcess, type LabProcessOptions } from './lab-process.ts';
import { levelOneInit } from './init-binary.ts';
import { currentLimits, WorldLimitsHandle, type LimitsPlan, type WorldLimits } from './limits.ts';

export const LAB_HOST_ROOTFS = '/labs/rootfs';
/** Programs nslab adds to the lab host (its /usr is the machine's own, read-only). */
export const LAB_HOST_BIN = '/labs/bin';
/** Nesting of the lab host's pid namespace: real machine 0, level 1, lab host 2. */
export const LAB_HOST_PID_LEVEL = 2;
const START_TIMEOUT_MS = 10_000;
/**
 * The most nslab keeps of any stream a lab world writes to: a lab process can fill a pipe
 * forever, and nslab must not grow with it. Beyond the cap the bytes are dropped (a world's
 * start) or the program is stopped (exec).
 */
export const STREAM_CAP_BYTES = 64 * 1024;
export const EXEC_OUTPUT_CAP_BYTES = 4 * 1024 * 1024;
/** After a script exits, wait this long for its output to end (a background process may hold the pipes). */
const EXEC_DRAIN_MS = 500;

/** The lab host's namespaces nsenter(1) enters, by its option name and /proc/<pid>/ns name. */
const ENTERED_NAMESPACES = [
  ['user', 'user'],
  ['mount', 'mnt'],
  ['pid', 'pid'],
  ['net', 'net'],
  ['uts', 'uts'],
  ['ipc', 'ipc'],
  ['cgroup', 'cgroup'],
  // The lab host's own time namespace, where the kernel has them (assets/world/level1.sh says
  // why): without it, `nsenter -a` from the lab host fails on the machine's time namespace.
  ...(existsSync('/proc/self/ns/time') ? ([['time', 'time']] as const) : []),
] as const;

/** See LabWorld.openEntry. */
export interface LabEntry {
  readonly argv: readonly string[];
  readonly close: () => void;
}

export interface WorldOptions {
  /** A sanitized tar of the container's root filesystem (see src/rootfs). */
  readonly rootfsTar: string;
  readonly identity?: LabIdentity;
  /** Default: the limits the CLI configured (src/world/limits.ts). */
  readonly limits?: WorldLimits;
  /** Default: the strongest mechanism of this machine; tests force the rlimit floor with it. */
  readonly limitsPlan?: LimitsPlan;
  /**
   * Called once level 1 has been spawned: the world boots in its own processes from here on,
   * and the CLI starts loading its UI (src/cli.ts).
   */
  readonly onSpawn?: () => void;
}

export interface ExecResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Output went past EXEC_OUTPUT_CAP_BYTES: the program was killed and the rest dropped. */
  readonly truncated?: boolean;
}

export class LabWorld {
  private exited = false;
  readonly whenExited: Promise<void>;

  private constructor(
    private readonly anchor: ChildProcess,
    /** Real pid of the level-1 unshare process (the anchor nslab spawned). */
    readonly anchorPid: number,
    /** Real pid of the lab host's init (level 2, pid 1 there). */
    readonly labHostPid: number,
    /** The lab host's pid namespace: what makes a process the lab's (src/world/lab-process.ts). */
    readonly pidNamespace: FileIdentity,
    /**
     * An fd of that namespace, held while the world lives: nsfs inode numbers are reused once a
     * namespace is freed, and an open fd keeps it from being freed, so no later namespace (of
     * another lab world, say) can take its identity while `owns()` may still be asked.
     */
    private readonly pidNamespaceFd: number,
    readonly identity: LabIdentity,
    /** The world's limits: which mechanism, the values, and the limits it ran into (poll()). */
    readonly limits: WorldLimitsHandle,
  ) {
    this.whenExited = new Promise((resolve) => {
      if (anchor.exitCode !== null || anchor.signalCode !== null) resolve();
      anchor.once('exit', () => resolve());
    });
    void this.whenExited.then(() => {
      this.exited = true;
      closeSync(this.pidNamespaceFd);
    });
  }

  static async start(options: WorldOptions): Promise<LabWorld> {
    closeInheritedFdsOnExec();
    mark('world-start');
    const identity = options.identity ?? (await claimedLabIdentity());
    mark('identity');
    const init = await levelOneInit();
    mark('init-binary');
    const limits = WorldLimitsHandle.create(options.limits ?? currentLimits(), options.limitsPlan);
    mark('limits');
    let initFd: number | undefined;
    let tarFd: number | undefined;
    try {
      // Level 1's init travels as fd 3 (see init-binary.ts); nslab's own copy closes below.
      if (init.ok) initFd = openSync(init.path, 'r');
      // The image is level 1's stdin: the file itself, read by tar(1) directly, not a pipe that
      // nslab pumps (18 MB through the event loop cost 40-60 ms of the world's start, more while
      // the UI loads in the same thread). The fd is read-only; level 1 lets go of it once the
      // image is extracted (level1.sh), so nothing in the lab holds it.
      tarFd = openSync(options.rootfsTar, fsConstants.O_RDONLY);
      const world = await LabWorld.launch(tarFd, identity, limits, initFd, options.onSpawn);
      return world;
    } catch (error) {
      await limits.remove();
      throw error;
    } finally {
      if (initFd !== undefined) closeSync(initFd);
      if (tarFd !== undefined) closeSync(tarFd);
    }
  }

  private static async launch(tarFd: number, identity: LabIdentity, limits: WorldLimitsHandle, initFd: number | undefined, onSpawn?: () => void): Promise<LabWorld> {
    const argv = [
      ...limits.joinPrefix({ anchor: true }),
      ...identity.launchPrefix,
      'unshare', '--user', '--map-root-user', '--mount', '--pid', '--fork', '--kill-child',
      '--', 'sh', '-c', 'eval "$NSLAB_LEVEL1"', 'nslab-world',
    ];
    const anchor = spawn(argv[0]!, argv.slice(1), {
      stdio: [tarFd, 'pipe', 'pipe', ...(initFd === undefined ? [] : [initFd])],
      // Scripts travel in the environment and run through eval, so that `ps` in the lab shows
      // "sh -c eval ..." rather than a hundred lines of script as pid 1's command line.
      env: {
        PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        LANG: 'C.UTF-8',
        NSLAB_LEVEL1: readWorldScript('level1.sh'),
        NSLAB_LABHOST: readWorldScript('labhost.sh'),
        ...limits.floorEnvironment(),
        ...(initFd === undefined ? {} : { NSLAB_INIT_FD: '3' }),
      },
    });
    mark('world-spawn');
    onSpawn?.();
    const stderr = new BoundedText(STREAM_CAP_BYTES);
    anchor.stderr!.on('data', (d: Buffer) => stderr.add(d));
    await new Promise<void>((resolve, reject) => {
      const stdout = new BoundedText(STREAM_CAP_BYTES);
      const fail = (why: string) => {
        clearTimeout(timer);
        anchor.kill('SIGKILL');
        reject(new NslabError(`The lab world could not be set up: ${why}`, 'Run `nslab doctor` to check the prerequisites.'));
      };
      const timer = setTimeout(() => fail(`no answer after ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      anchor.once('error', (e) => fail(e.message));
      // 'close', not 'exit': by then stderr is drained, so the message says why it failed.
      anchor.once('close', (code, signal) => fail(stderr.text().trim() || `level 1 exited (${code ?? signal})`));
      anchor.stdout!.on('data', (d: Buffer) => {
        stdout.add(d);
        if (stdout.text().includes('READY\n')) {
          clearTimeout(timer);
          anchor.removeAllListeners('close');
          resolve();
        }
      });
    });
    // Started: nothing the world writes is read any more. No lab process holds these pipes
    // (nslab-init and the lab host's init let go of them), but if one did, it gets EPIPE.
    anchor.stdout!.destroy();
    anchor.stderr!.destroy();
    const anchorPid = anchor.pid!;
    // anchor (unshare) ─ level-1 pid 1 (nslab-init, or unshare for level 2) ─ lab host init
    const level1 = listChildren(anchorPid)?.[0];
    const labHost = level1 === undefined ? undefined : listChildren(level1)?.[0];
    // The anchor is our child and level 1 its only child, so these pids cannot have been
    // recycled yet: the lab host's pid namespace read here is the lab's.
    const pinned = labHost === undefined ? null : pinPidNamespace(labHost);
    if (labHost === undefined || pinned === null) {
      anchor.kill('SIGKILL');
      throw new NslabError('The lab world started but its lab host process could not be found.');
    }
    return new LabWorld(anchor, anchorPid, labHost, pinned.identity, pinned.fd, identity, limits);
  }

  get alive(): boolean {
    return !this.exited;
  }

  /**
   * Whether real pid `pid` is, right now, a process of this lab world (see
   * src/world/lab-process.ts): ask before reading a process's /proc or entering it.
   */
  owns(pid: number, options: LabProcessOptions = {}): boolean {
    return !this.exited && isLabProcess(this.pidNamespace, pid, options);
  }

  /** `read()` about the lab host's init, or null once that pid is no longer it. */
  private withLabHost<T>(read: () => T): T | null {
    return this.exited ? null : withLabProcess(this.pidNamespace, this.labHostPid, read, { exactNamespace: true });
  }

  /**
   * The way in to every namespace of the lab host, its root and cwd (under the world's
   * limits): argv to prefix to a program. Not `nsenter -t <pid>`: nsenter would open
   * /proc/<pid>/ns/* by number, and if the lab host had gone that pid could by then be a real
   * process. The namespace, root and cwd files are opened here instead, while a pidfd confirms
   * they are the lab host's, and nsenter opens them again through nslab's own
   * /proc/<pid>/fd/<n> (ptrace read access: nsenter runs as root or as nslab's own user), so no
   * fd is inherited by anything. Call `close()` once the program has exited (until then nsenter
   * may not have opened them yet).
   */
  openEntry(): LabEntry {
    const fds: number[] = [];
    const close = () => {
      for (const fd of fds.splice(0)) closeSync(fd);
    };
    const link = (path: string, flags: number): string => {
      const fd = openSync(path, flags);
      fds.push(fd);
      return `/proc/${process.pid}/fd/${fd}`;
    };
    try {
      const args = this.alive && this.withLabHost(() => {
        const dir = fsConstants.O_RDONLY | fsConstants.O_DIRECTORY;
        return [
          ...ENTERED_NAMESPACES.map(([option, name]) => `--${option}=${link(`/proc/${this.labHostPid}/ns/${name}`, fsConstants.O_RDONLY)}`),
          `--root=${link(`/proc/${this.labHostPid}/root`, dir)}`,
          `--wd=${link(`/proc/${this.labHostPid}/cwd`, dir)}`,
        ];
      });
      if (!args) throw new NslabError('The lab world has ended.', 'Ctrl-g r starts a fresh one.');
      return { argv: [...this.limits.joinPrefix(), 'nsenter', ...args, ...this.identity.nsenterCredentials, '--'], close };
    } catch (err) {
      close();
      throw err;
    }
  }

  /**
   * Runs a shell script as root of the lab host and collects its output: at most
   * EXEC_OUTPUT_CAP_BYTES of each stream (more stops the script), and no wait beyond the
   * timeout or, once the script has exited, for a background process that holds its pipes.
   */
  exec(script: string, options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const entry = this.openEntry();
      let child: ChildProcess & { stdout: Readable; stderr: Readable };
      try {
        child = spawn(entry.argv[0]!, [...entry.argv.slice(1), 'sh', '-c', script], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...labEnvironment(), ...options.env },
        });
      } catch (err) {
        entry.close();
        throw err;
      }
      child.once('exit', entry.close);
      child.once('error', entry.close);
      const stdout = new BoundedText(EXEC_OUTPUT_CAP_BYTES);
      const stderr = new BoundedText(EXEC_OUTPUT_CAP_BYTES);
      let code: number | null = null;
      let note = '';
      let drainTimer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(timer);
        clearTimeout(drainTimer);
        child.stdout.destroy();
        child.stderr.destroy();
        const truncated = stdout.truncated || stderr.truncated;
        resolve({ code, stdout: stdout.text(), stderr: stderr.text() + note, ...(truncated ? { truncated } : {}) });
      };
      const timeoutMs = options.timeoutMs ?? 10_000;
      const timer = setTimeout(() => {
        note = `\n[nslab: no answer after ${timeoutMs / 1000} s]`;
        child.kill('SIGKILL');
        finish();
      }, timeoutMs);
      const take = (into: BoundedText) => (d: Buffer) => {
        if (into.add(d)) return;
        child.kill('SIGKILL');
        finish();
      };
      child.stdout.on('data', take(stdout));
      child.stderr.on('data', take(stderr));
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (exitCode) => {
        code = exitCode;
        drainTimer = setTimeout(finish, EXEC_DRAIN_MS);
      });
      child.once('close', finish);
    });
  }

  /** A file of the lab host, as the lab host sees it (src/kernel/in-root.ts says why not a plain read). */
  readLabHostFile(path: string): string | null {
    return this.withLabHost(() => readFileAs(this.labHostPid, path));
  }

  /** Real pid of the process the lab host knows as `labHostPid`, searched under `treeRoot`; only a process of this world. */
  realPid(treeRoot: number, labHostPid: number): number | null {
    const pid = findRealPid(treeRoot, labHostPid, LAB_HOST_PID_LEVEL);
    return pid !== null && this.owns(pid) ? pid : null;
  }

  /** Tears the world down: SIGKILL to level 1 lets the kernel remove everything. */
  async stop(): Promise<void> {
    if (!this.exited) {
      this.anchor.kill('SIGKILL');
      await this.whenExited;
    }
    await this.limits.remove();
  }
}

/** Opens (and so keeps alive) the pid namespace of `pid`; its fd and identity, or null when gone. */
function pinPidNamespace(pid: number): { fd: number; identity: FileIdentity } | null {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/ns/pid`, fsConstants.O_RDONLY);
  } catch {
    return null;
  }
  const st = fstatSync(fd, { bigint: true });
  return { fd, identity: { dev: st.dev, ino: st.ino } };
}

/**
 * Marks every fd beyond stdio close-on-exec: whatever nslab inherited from the shell that
 * started it (a pipe, a file, a socket) must not reach the lab, where no namespace would stop
 * its use. Node opens its own fds close-on-exec already; this catches the inherited ones.
 */
function closeInheritedFdsOnExec(): void {
  for (const entry of readdirSync('/proc/self/fd')) {
    const fd = Number(entry);
    if (fd <= 2 || isCloseOnExec(fd)) continue;
    try {
      setCloseOnExec(fd);
    } catch {
      // the fd of the directory listing itself, already closed
    }
  }
}

/**
 * Whether `fd` is already close-on-exec, from its "flags:" line in /proc/self/fdinfo (octal
 * open flags, O_CLOEXEC among them: proc(5)); false when that cannot be read. Read, not asked
 * with fcntl: in the common case nothing is inherited and the libc bindings need not load
 * before the world's spawn (native/libc.ts).
 */
function isCloseOnExec(fd: number): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) !== 0;
  } catch {
    return false;
  }
}
/** O_CLOEXEC on Linux (asm-generic/fcntl.h: 02000000); Node's fs.constants does not carry it. */
const O_CLOEXEC = 0o2000000;

/** The first `cap` bytes of a stream, as text; what comes after is counted and dropped. */
class BoundedText {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  /** false once the cap is passed. */
  add(chunk: Buffer): boolean {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room > 0) {
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(kept);
      this.size += kept.length;
    }
    return !this.truncated;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** The environment every lab shell starts with. */
export function labEnvironment(): Record<string, string> {
  return {
    // /labs/bin, last: nslab's own ping when the machine has none (assets/world/level1.sh).
    PATH: `/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:${LAB_HOST_BIN}`,
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: 'xterm-256color',
    COLORTERM: 'truecolor',
    ROOTFS: LAB_HOST_ROOTFS,
  };
}
