/**
 * The one place the event log touches the disk, through the hardened state-dir writer
 * (src/private-dir.ts): the directory must be the user's own and writable by no one else, and
 * no file is opened through a symlink planted at its name.
 */
import { basename, dirname } from 'node:path';
import { PrivateDir } from '../private-dir.ts';
import { STATE_DIR } from '../labs/progress.ts';

/** Appends `text` to `path` (created 0600) in one write(2): O_APPEND makes it land at the end. */
export function appendStateFile(path: string, text: string): void {
  PrivateDir.with(dirname(path), STATE_DIR, (dir) => dir.append(basename(path), text));
}

/** Replaces `path` with `text` atomically: a fresh temp file (O_EXCL), fsync, rename(2). */
export function replaceStateFile(path: string, text: string): void {
  PrivateDir.with(dirname(path), STATE_DIR, (dir) => dir.writeAtomic(basename(path), text));
}
