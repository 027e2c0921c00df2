/**
 * The one place the event log touches the disk. Kept to two small functions so that they can
 * switch to the hardened state-file writer (O_EXCL, O_NOFOLLOW, directory ownership checks)
 * in one edit once that lands.
 *
 * O_NOFOLLOW: the state directory is the user's, but a symlink planted at the log's name must
 * not redirect nslab's writes to another file (open(2): ELOOP instead of following it).
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

const { O_WRONLY, O_CREAT, O_APPEND, O_NOFOLLOW, O_EXCL, O_TRUNC } = constants;

/** Appends `text` to `path` (created 0600) in one write(2): O_APPEND makes it land at the end. */
export function appendStateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces `path` with `text` atomically: a fresh temp file (O_EXCL), fsync, rename(2). */
export function replaceStateFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_TRUNC, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}
