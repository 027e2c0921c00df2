/**
 * Small, synchronous readers of /proc/<pid>/* (proc(5)) for the check engine.
 *
 * Every reader takes a pid that may have exited a microsecond ago. A process that is gone gives
 * `null`, never an exception: ENOENT (no /proc/<pid>, or a link whose target went away), ESRCH
 * (the task exited while the file was open) and, for the files whose open needs the task's
 * namespaces (mountinfo), EINVAL. A zombie keeps /proc/<pid>/status and stat but loses its
 * namespaces, root, cwd, mounts and net files; `isAlive()` treats it as gone.
 *
 * Any other failure (EACCES/EPERM: a process of another user) is a ProcAccessError, so a check
 * can tell "the process is gone" from "nslab may not look at it".
 */
import { closeSync, constants, openSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { NslabError } from '../errors.ts';
import { PROC_FILE_LIMIT, readAtMost } from './read-limited.ts';

/** /proc refused to show something about a live process (not "the process is gone"). */
export class ProcAccessError extends NslabError {
  override readonly name = 'ProcAccessError';
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`Cannot read ${path} (${code}).`, 'nslab can only inspect processes of the user it runs as.');
  }
}

/**
 * A /proc file of a lab process is larger than nslab reads (src/kernel/read-limited.ts): the
 * lab made it so (100 000 mounts, a million routes). Thrown, not truncated, so no check decides
 * on half a mount table.
 */
export class ProcTooLargeError extends NslabError {
  override readonly name = 'ProcTooLargeError';
  constructor(
    readonly path: string,
    readonly limit: number,
  ) {
    super(`${path} is larger than ${limit >> 20} MiB; nslab does not read it.`, 'Something in the lab made it huge (many mounts or routes); Ctrl-g r starts a fresh lab world.');
  }
}

const GONE_CODES = new Set(['ENOENT', 'ESRCH']);

function assertPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) throw new RangeError(`not a pid: ${String(pid)}`);
}

export function procPath(pid: number, rel = ''): string {
  assertPid(pid);
  return rel ? `/proc/${pid}/${rel}` : `/proc/${pid}`;
}

/** Runs `read` on a /proc path; null when the process (or the path) is gone. */
export function procRead<T>(path: string, read: (path: string) => T, extraGoneCodes: readonly string[] = []): T | null {
  try {
    return read(path);
  } catch (err) {
    if (err instanceof ProcTooLargeError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    if (GONE_CODES.has(code) || extraGoneCodes.includes(code)) return null;
    throw new ProcAccessError(path, code);
  }
}

/**
 * The text of /proc/<pid>/<rel>, or null when the process is gone. At most `limit` bytes: a
 * larger file is a ProcTooLargeError.
 */
export function readProcText(pid: number, rel: string, extraGoneCodes: readonly string[] = [], limit = PROC_FILE_LIMIT): string | null {
  return procRead(procPath(pid, rel), (path) => {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    try {
      const bytes = readAtMost(fd, limit);
      if (bytes === null) throw new ProcTooLargeError(path, limit);
      return bytes.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }, extraGoneCodes);
}

/** readlink of /proc/<pid>/<rel>, or null when the process (or the link's target) is gone. */
export function readProcLink(pid: number, rel: string): string | null {
  return procRead(procPath(pid, rel), (p) => readlinkSync(p));
}

// ---------------------------------------------------------------------------------------------
// status

export interface ProcStatus {
  /** `Name:` (the comm, at most 15 bytes). */
  name: string;
  /** The state letter: R S D T t Z X I ... */
  state: string;
  ppid: number;
  /** The pid in each pid namespace the process is in, outermost (the reader's) first. */
  nspid: number[];
  /** Real, effective, saved, filesystem uid. */
  uid: number[];
  /** Real, effective, saved, filesystem gid. */
  gid: number[];
}

function numbers(value: string | undefined): number[] {
  if (!value) return [];
  return value.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Parses the text of /proc/<pid>/status. */
export function parseStatus(text: string): ProcStatus {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).replace(/^\t/, ''));
  }
  const state = (fields.get('State') ?? '').trim().charAt(0);
  return {
    name: fields.get('Name') ?? '',
    state,
    ppid: Number(fields.get('PPid') ?? NaN),
    // NSpid exists since Linux 4.1; without it the process is in one pid namespace.
    nspid: fields.has('NSpid') ? numbers(fields.get('NSpid')) : numbers(fields.get('Pid')),
    uid: numbers(fields.get('Uid')),
    gid: numbers(fields.get('Gid')),
  };
}

export function readStatus(pid: number): ProcStatus | null {
  const text = readProcText(pid, 'status');
  return text === null ? null : parseStatus(text);
}

/** False when the process does not exist, is a zombie (Z) or is dead (X). */
export function isAlive(pid: number): boolean {
  const status = readStatus(pid);
  return status !== null && status.state !== 'Z' && status.state !== 'X';
}

// ---------------------------------------------------------------------------------------------
// process list

/** Every pid in /proc (the reader's pid namespace), ascending. Threads are not listed. */
export function listPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^[1-9][0-9]*$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * The fields of /proc/<pid>/stat from field 3 (state) on. comm (field 2) may contain spaces and
 * parentheses, so they start after the last ')'.
 */
function statFieldsAfterComm(text: string): string[] | null {
  const close = text.lastIndexOf(')');
  return close < 0 ? null : text.slice(close + 2).split(' ');
}

/** The ppid field (4) of /proc/<pid>/stat. */
export function parseStatPpid(text: string): number | null {
  const rest = statFieldsAfterComm(text);
  if (!rest) return null;
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/**
 * Field 22 of /proc/<pid>/stat, the start time (clock ticks after boot), as the kernel prints
 * it. The same in every pid namespace's view of a process, so it tells a process from another
 * one that got its pid later.
 */
export function parseStatStartTime(text: string): string | null {
  const start = statFieldsAfterComm(text)?.[19];
  return start !== undefined && /^\d+$/.test(start) ? start : null;
}

/** The start time of the process (stat field 22, see parseStatStartTime); null when gone. */
export function readStartTime(pid: number): string | null {
  const text = readProcText(pid, 'stat');
  return text === null ? null : parseStatStartTime(text);
}

let childrenFilesExist: boolean | undefined;

/** Whether the kernel has /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN). */
function haveChildrenFiles(): boolean {
  if (childrenFilesExist === undefined) {
    try {
      statSync(`/proc/self/task/${process.pid}/children`);
      childrenFilesExist = true;
    } catch {
      childrenFilesExist = false;
    }
  }
  return childrenFilesExist;
}

/**
 * Direct children of `pid` (zombies included), ascending; null when `pid` is gone.
 * Reads /proc/<pid>/task/<tid>/children of every thread; on kernels without those files, scans
 * the ppid of every /proc/<n>/stat.
 */
export function listChildren(pid: number, opts: { scan?: boolean } = {}): number[] | null {
  const children = new Set<number>();
  if (!opts.scan && haveChildrenFiles()) {
    const tasks = procRead(procPath(pid, 'task'), (p) => readdirSync(p));
    if (tasks === null) return null;
    for (const tid of tasks) {
      // A thread that ended between readdir and open is simply skipped.
      const text = readProcText(pid, `task/${tid}/children`);
      for (const child of numbers(text ?? '')) children.add(child);
    }
  } else {
    if (readProcText(pid, 'stat') === null) return null;
    for (const other of listPids()) {
      const stat = readProcText(other, 'stat');
      if (stat !== null && parseStatPpid(stat) === pid) children.add(other);
    }
  }
  return [...children].sort((a, b) => a - b);
}

// ---------------------------------------------------------------------------------------------
// comm, environ

/** The process's command name (proc(5) comm, at most 15 bytes, set by the process itself); null when gone. */
export function readComm(pid: number): string | null {
  return readProcText(pid, 'comm')?.replace(/\n$/, '') ?? null;
}

/** The initial environment of the process (as it was at execve); null when gone. */
export function readEnviron(pid: number): Record<string, string> | null {
  const text = readProcText(pid, 'environ');
  return text === null ? null : parseEnviron(text);
}

/** Parses /proc/<pid>/environ: NUL-separated NAME=value entries. */
export function parseEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const entry of text.split('\0')) {
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq < 0) env[entry] = '';
    else env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

// ---------------------------------------------------------------------------------------------
// root and cwd

/**
 * A directory's identity: st_dev and st_ino. Bigints because overlayfs (xino) and some
 * filesystems use inode numbers above 2^53.
 */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

export function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

function identityOf(pid: number, link: 'root' | 'cwd'): FileIdentity | null {
  // The trailing slash makes stat() follow the magic link into the process's mount namespace.
  return procRead(procPath(pid, `${link}/`), (p) => {
    const st = statSync(p, { bigint: true });
    return { dev: st.dev, ino: st.ino };
  });
}

/** stat() of the process's root directory as it sees it (after chroot/pivot_root); null when gone. */
export function rootIdentity(pid: number): FileIdentity | null {
  return identityOf(pid, 'root');
}

/** stat() of the process's working directory; null when gone. */
export function cwdIdentity(pid: number): FileIdentity | null {
  return identityOf(pid, 'cwd');
}
