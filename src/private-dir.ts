/**
 * nslab's own directories (state, cache) and the one safe way to write a file in them.
 *
 * nslab may run as root with an environment that names another user's directory
 * (`sudo -E nslab`, keeping that user's XDG_STATE_HOME). Root writing by path in a directory
 * someone else can write follows whatever that someone planted: a `progress.json.tmp-<pid>`
 * symlink to /etc/shadow made root truncate it. So a directory is used only if it is not a
 * symlink, is owned by the user nslab runs as and is writable by no one else; it is then held
 * open, and every file is opened through that fd (/proc/self/fd/<n>/<name> resolves from the
 * directory itself, as openat(2) would, whatever happens to its path meanwhile). A file is
 * written to a fresh temp name with O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file or a
 * symlink), fsynced, renamed over the old one, and the directory fsynced: a crash leaves the
 * old file or the new one (rename(2) is atomic).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { NslabError } from './errors.ts';
import { readAtMost } from './kernel/read-limited.ts';

/** What a directory is for, in the words of the error messages. */
export interface DirPurpose {
  /** "state" or "cache", as in "the state directory". */
  readonly name: string;
  /** The environment variable that moves it, e.g. XDG_STATE_HOME. */
  readonly variable: string;
  /** Why it must be private, one clause: "nslab keeps your progress there". */
  readonly why: string;
}

/** A state file larger than this is not nslab's (progress is a few KB). */
const STATE_FILE_LIMIT = 16 << 20;

export class PrivateDir {
  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  /**
   * Creates `path` (0700, parents as needed) or opens it, and checks it: a directory, not a
   * symlink, of the user nslab runs as, writable by no one else. Throws an NslabError that says
   * what is wrong and how to fix it. Close it after use.
   */
  static open(path: string, purpose: DirPurpose): PrivateDir {
    let fd: number;
    try {
      mkdirSync(path, { recursive: true, mode: 0o700 });
      fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const what = code === 'ELOOP' || code === 'ENOTDIR' || code === 'EEXIST' ? 'is a symlink or not a directory' : `cannot be opened: ${(err as Error).message}`;
      throw new NslabError(`The ${purpose.name} directory ${path} ${what}; ${purpose.why}.`, `Set ${purpose.variable} to a directory of your own.`);
    }
    const st = fstatSync(fd);
    const uid = process.getuid?.() ?? st.uid;
    if (st.uid !== uid || (st.mode & 0o022) !== 0) {
      closeSync(fd);
      throw new NslabError(
        `The ${purpose.name} directory ${path} is owned by uid ${st.uid} with mode ${(st.mode & 0o7777).toString(8)}; ${purpose.why}, so it must be your own (uid ${uid}) and writable by no one else.`,
        `Set ${purpose.variable} to such a directory, or fix the owner and mode of this one.`,
      );
    }
    return new PrivateDir(path, fd);
  }

  /** Runs `use` with the directory open, and closes it. */
  static with<T>(path: string, purpose: DirPurpose, use: (dir: PrivateDir) => T): T {
    const dir = PrivateDir.open(path, purpose);
    try {
      return use(dir);
    } finally {
      dir.close();
    }
  }

  /** A path that resolves from the open directory, not from its name (see the top of this file). */
  private at(name: string): string {
    if (name === '' || name.includes('/') || name === '.' || name === '..') throw new RangeError(`not a file name: ${name}`);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** The text of regular file `name`, or null when there is none. Never follows a symlink. */
  readText(name: string): string | null {
    let fd: number;
    try {
      fd = openSync(this.at(name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      if (!fstatSync(fd).isFile()) throw new Error(`${name} is not a regular file`);
      const bytes = readAtMost(fd, STATE_FILE_LIMIT);
      if (bytes === null) throw new Error(`${name} is larger than ${STATE_FILE_LIMIT >> 20} MiB`);
      return bytes.toString('utf8');
    } finally {
      closeSync(fd);
    }
  }

  /** Replaces (or creates) file `name` with `data`, atomically and durably (mode 0600). */
  writeAtomic(name: string, data: string): void {
    const temp = `${name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    const fd = openSync(this.at(temp), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      try {
        writeSync(fd, data);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.at(temp), this.at(name));
    } catch (err) {
      try {
        unlinkSync(this.at(temp)); // ours for certain: O_EXCL created it
      } catch {
        // already renamed into place, or the disk is gone
      }
      throw err;
    }
    fsyncSync(this.fd); // the rename itself survives a crash
  }

  /**
   * Appends `text` to file `name` (created 0600 if missing), for logs. A symlink or anything
   * but a regular file of our own is refused.
   */
  append(name: string, text: string): void {
    const fd = openSync(this.at(name), constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || st.uid !== (process.getuid?.() ?? st.uid)) throw new Error(`${name} is not a regular file of yours`);
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Renames `from` to `to`, both in this directory. */
  rename(from: string, to: string): void {
    renameSync(this.at(from), this.at(to));
  }

  close(): void {
    closeSync(this.fd);
  }
}
