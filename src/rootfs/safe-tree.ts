/**
 * Writes an untrusted file tree (tar entries, or a walk of a user's directory) into a private
 * work dir, so that nothing can land outside it:
 *
 * - names are relative, with no ".." component (absolute names and ".." are refused);
 * - every parent directory is a real directory we created: a name whose parent is a symlink is
 *   refused, so nothing is ever written *through* a symlink;
 * - the last component is created with O_CREAT|O_EXCL|O_NOFOLLOW, symlink(2), mkdir(2) or
 *   link(2), none of which follow a symlink there; an old entry of the same name is unlinked
 *   first (never followed), and a directory is never replaced by something else;
 * - hardlinks must point at a regular file already written inside the tree;
 * - symlinks are kept exactly as they are (an absolute target is normal in a rootfs: it is
 *   resolved later inside the container's own root), never followed;
 * - device nodes, fifos and sockets are skipped and counted; setuid/setgid bits are cleared.
 *
 * The work dir is ours (mkdtemp, 0700) and nothing else writes to it, so checking with lstat
 * and then creating is not racy.
 */
import {
  closeSync,
  constants,
  fchmodSync,
  futimesSync,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';

/** A reason to refuse the whole input. import.ts turns it into an NslabError naming the input. */
export class UnsafeInputError extends Error {
  override readonly name = 'UnsafeInputError';
}

export interface TreeStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  devices: number;
  fifos: number;
  sockets: number;
  /** Entry types we do not extract (e.g. GNU sparse files). */
  unsupported: number;
  /** Files and directories whose setuid/setgid bits were cleared. */
  setidCleared: number;
  /** Directory input only: mount points inside it, copied as empty directories. */
  mountPoints: number;
}

export function emptyStats(): TreeStats {
  return { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, devices: 0, fifos: 0, sockets: 0, unsupported: 0, setidCleared: 0, mountPoints: 0 };
}

const ENTRY_MAX_HOPS = 40;

/** Splits an entry name into safe components ("./a//b/" -> ["a","b"]); refuses "/x" and "..". */
export function entryParts(name: string, what = 'entry'): string[] {
  if (name.startsWith('/')) throw new UnsafeInputError(`${what} "${name}" has an absolute path`);
  if (name.includes('\0')) throw new UnsafeInputError(`${what} "${name}" contains a NUL byte`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new UnsafeInputError(`${what} "${name}" contains ".."`);
  return parts;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

export class SafeTree {
  readonly stats = emptyStats();
  /**
   * The mode each entry should have in the packed image (relative path -> mode). On disk we keep
   * owner read/write (files) and rwx (directories) so an ordinary user can still pack them.
   */
  readonly modes = new Map<string, number>();
  private readonly knownDirs = new Set<string>(['']);
  private readonly dirTimes = new Map<string, Date>();
  private openFd: number | undefined;

  constructor(readonly root: string) {}

  private abs(parts: readonly string[]): string {
    return join(this.root, ...parts);
  }

  /** Makes sure every parent of `parts` is a real directory inside the root (creating missing ones). */
  private parents(parts: readonly string[], name: string, create: boolean): void {
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (this.knownDirs.has(rel)) continue;
      const path = this.abs(parts.slice(0, i));
      const st = lstatOrUndefined(path);
      if (!st) {
        if (!create) throw new UnsafeInputError(`hardlink target "${name}" does not exist (no "${rel}")`);
        mkdirSync(path, 0o700);
        this.modes.set(rel, 0o755);
        this.stats.dirs++;
      } else if (st.isSymbolicLink()) {
        throw new UnsafeInputError(`"${name}" goes through the symlink "${rel}"; nothing may be written through a symlink`);
      } else if (!st.isDirectory()) {
        throw new UnsafeInputError(`"${name}" goes through "${rel}", which is not a directory`);
      }
      this.knownDirs.add(rel);
    }
  }

  /** Clears the way for a new non-directory entry at `parts`; returns its absolute path. */
  private replaceable(parts: readonly string[], name: string): string {
    if (parts.length === 0) throw new UnsafeInputError(`entry "${name}" names the root itself`);
    this.parents(parts, name, true);
    const path = this.abs(parts);
    const st = lstatOrUndefined(path);
    if (st?.isDirectory()) throw new UnsafeInputError(`entry "${name}" would replace the directory "${parts.join('/')}"`);
    if (st) unlinkSync(path); // unlink never follows a symlink: it removes the link itself
    this.modes.delete(parts.join('/'));
    return path;
  }

  private clearSetid(mode: number, isDir: boolean): number {
    const keep = isDir ? 0o1777 : 0o777;
    if (mode & ~keep & 0o7000) this.stats.setidCleared++;
    return mode & keep;
  }

  dir(name: string, mode: number, mtime?: Date): void {
    const parts = entryParts(name);
    if (parts.length === 0) return; // "./": the root itself keeps its own mode
    this.parents(parts, name, true);
    const rel = parts.join('/');
    const path = this.abs(parts);
    const st = lstatOrUndefined(path);
    if (!st || !st.isDirectory()) {
      if (st) unlinkSync(path); // a file or symlink of that name: replace it, don't follow it
      mkdirSync(path, 0o700);
      this.stats.dirs++;
    }
    this.knownDirs.add(rel);
    this.modes.set(rel, this.clearSetid(mode, true));
    if (mtime) this.dirTimes.set(rel, mtime);
  }

  /** Starts a regular file; write its data with `write`, then call `endFile`. */
  beginFile(name: string, mode: number): void {
    if (this.openFd !== undefined) throw new Error('SafeTree.beginFile while another file is open');
    const parts = entryParts(name);
    const path = this.replaceable(parts, name);
    // O_EXCL|O_NOFOLLOW: fail rather than open anything that appeared at this name.
    this.openFd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    const m = this.clearSetid(mode, false);
    this.modes.set(parts.join('/'), m);
    fchmodSync(this.openFd, m | 0o600);
    this.stats.files++;
  }

  write(chunk: Uint8Array): void {
    if (this.openFd === undefined) throw new Error('SafeTree.write without beginFile');
    let off = 0;
    while (off < chunk.length) off += writeSync(this.openFd, chunk, off, chunk.length - off);
  }

  endFile(mtime?: Date): void {
    if (this.openFd === undefined) return;
    const fd = this.openFd;
    this.openFd = undefined;
    try {
      if (mtime) futimesSync(fd, mtime, mtime);
    } finally {
      closeSync(fd);
    }
  }

  symlink(name: string, target: string, mtime?: Date): void {
    if (target === '') throw new UnsafeInputError(`symlink "${name}" has an empty target`);
    if (target.includes('\0')) throw new UnsafeInputError(`symlink "${name}" has a NUL byte in its target`);
    const parts = entryParts(name);
    const path = this.replaceable(parts, name);
    symlinkSync(target, path); // kept as-is; never followed here
    this.modes.set(parts.join('/'), 0o777);
    if (mtime) lutimesSync(path, mtime, mtime);
    this.stats.symlinks++;
  }

  hardlink(name: string, target: string): void {
    let targetParts: string[];
    try {
      targetParts = entryParts(target, 'hardlink target');
    } catch (err) {
      throw new UnsafeInputError(`hardlink "${name}" points outside the archive (to "${target}"): ${(err as Error).message}`);
    }
    const parts = entryParts(name);
    if (parts.join('/') === targetParts.join('/')) throw new UnsafeInputError(`hardlink "${name}" points to itself`);
    this.parents(targetParts, target, false);
    const targetPath = this.abs(targetParts);
    const st = lstatOrUndefined(targetPath);
    if (!st || !st.isFile()) {
      throw new UnsafeInputError(`hardlink "${name}" points to "${target}", which is not a file earlier in the archive`);
    }
    const path = this.replaceable(parts, name);
    linkSync(targetPath, path); // link(2) does not follow: and the target is a checked regular file
    this.modes.set(parts.join('/'), this.modes.get(targetParts.join('/')) ?? (st.mode & 0o777));
    this.stats.hardlinks++;
  }

  /** Adds the mount points a container needs when the input lacks them; returns their names. */
  addMountPoints(): string[] {
    const added: string[] = [];
    for (const name of ['proc', 'sys', 'dev', 'tmp']) {
      if (lstatOrUndefined(this.abs([name]))) continue;
      mkdirSync(this.abs([name]), 0o700);
      this.modes.set(name, name === 'tmp' ? 0o1777 : 0o755);
      added.push(name);
    }
    return added;
  }

  /**
   * Resolves `path` the way the kernel will inside the container (the tree is "/": absolute
   * symlinks restart at the tree's root, ".." stops there). Returns the absolute path in the
   * work dir, or undefined when it does not resolve.
   */
  resolveInside(path: string): string | undefined {
    const todo = path.split('/').filter((p) => p !== '' && p !== '.');
    const done: string[] = [];
    let hops = 0;
    while (todo.length) {
      const part = todo.shift()!;
      if (part === '..') {
        done.pop();
        continue;
      }
      const cand = this.abs([...done, part]);
      const st = lstatOrUndefined(cand);
      if (!st) return undefined;
      if (st.isSymbolicLink()) {
        if (++hops > ENTRY_MAX_HOPS) return undefined;
        const target = readlinkSync(cand);
        if (target.startsWith('/')) done.length = 0;
        todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
        continue;
      }
      done.push(part);
    }
    return this.abs(done);
  }

  /** Closes a file left half-written by a failed extraction (the work dir is removed next). */
  abort(): void {
    if (this.openFd === undefined) return;
    try {
      closeSync(this.openFd);
    } catch {
      /* already closed */
    }
    this.openFd = undefined;
  }

  /** Applies directory mtimes last (writing children changes them). Closes any open file. */
  finish(): void {
    if (this.openFd !== undefined) {
      closeSync(this.openFd);
      this.openFd = undefined;
    }
    const deepestFirst = [...this.dirTimes].sort((a, b) => b[0].split('/').length - a[0].split('/').length);
    for (const [rel, time] of deepestFirst) utimesSync(this.abs(rel.split('/')), time, time);
  }

  /** Mode for the packer: what the input said (setuid/setgid cleared), not the on-disk mode. */
  modeOf = (rel: string, st: Stats): number => this.modes.get(rel) ?? st.mode & 0o7777;
}
