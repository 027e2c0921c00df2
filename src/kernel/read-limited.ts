/**
 * Reading what a lab controls without letting it choose how much nslab reads.
 *
 * A lab process decides the size of many files nslab reads: its own files, and in /proc its
 * environment and command line (up to ~6 MiB, the execve(2) limit), its mount table (100 000
 * mounts, `fs.mount-max`, are ~15 MB of mountinfo) and its routes. readFileSync of such a file
 * allocates whatever the kernel hands back, and of /dev/zero never ends. So every such read
 * goes through readAtMost: at most `limit` bytes, and "too large" rather than a partial text a
 * check could misjudge.
 */
import { readSync } from 'node:fs';

/** Default cap of one read of a lab file (a check reads small text files). */
export const LAB_FILE_LIMIT = 1 << 20;
/** Default cap of one /proc file of a lab process (a busy lab's mountinfo is a few KB). */
export const PROC_FILE_LIMIT = 8 << 20;

/**
 * The contents of `fd` from its current offset up to end of file, or null when there are more
 * than `limit` bytes. /proc files report size 0, so the size comes from reading, not fstat.
 */
export function readAtMost(fd: number, limit: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    // One byte past the limit tells "exactly at the limit" from "over it".
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) return Buffer.concat(chunks, total);
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
    if (total > limit) return null;
  }
}
