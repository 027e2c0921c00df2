/**
 * Copies files from this machine into a merged-/usr rootfs tree, keeping every symlink on the
 * way (as a relative link) so that names like /usr/bin/sh -> dash and
 * /lib64/ld-linux-x86-64.so.2 -> ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 work inside.
 *
 * Paths are mapped the merged-/usr way: /bin, /sbin, /lib* go under usr/, so a machine that
 * still has a split /usr gives the same layout.
 */
import { constants, lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { chmod, copyFile, mkdir, symlink } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';

const MERGED_INTO_USR = new Set(['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']);
const MAX_HOPS = 40;

type Planned = { kind: 'file'; src: string; mode: number } | { kind: 'link'; target: string };

/** Host absolute path (parents already resolved) -> path inside the rootfs, relative, no leading '/'. */
export function toRootfsPath(canonical: string): string {
  const rel = canonical.replace(/^\/+/, '');
  const first = rel.split('/')[0] ?? '';
  return MERGED_INTO_USR.has(first) ? `usr/${rel}` : rel;
}

/** The path with its parent directories resolved but the last component left as it is. */
function canonicalLocation(path: string): string {
  return join(realpathSync(dirname(path)), basename(path));
}

export class HostCopier {
  private readonly planned = new Map<string, Planned>();
  /** Newest mtime (ms) of any copied host file. */
  newestMtimeMs = 0;

  constructor(private readonly tree: string) {}

  /**
   * Plans `hostPath` and every symlink hop to its final file. Returns the final file's host
   * path. Throws if the chain ends at something that is not a regular file.
   */
  add(hostPath: string): string {
    let cur = canonicalLocation(hostPath);
    for (let hop = 0; hop < MAX_HOPS; hop++) {
      const dest = toRootfsPath(cur);
      const st = lstatSync(cur);
      if (st.isSymbolicLink()) {
        const next = canonicalLocation(resolve(dirname(cur), readlinkSync(cur)));
        if (!this.planned.has(dest)) {
          this.planned.set(dest, { kind: 'link', target: relative(dirname(dest), toRootfsPath(next)) || '.' });
        }
        cur = next;
        continue;
      }
      if (!st.isFile()) throw new Error(`${cur} is not a regular file`);
      if (!this.planned.has(dest)) {
        // Never setuid/setgid in the copy: inside the lab's user namespace the bits give nothing,
        // and outside it they must not exist on a file nslab wrote.
        this.planned.set(dest, { kind: 'file', src: cur, mode: st.mode & 0o777 });
        this.newestMtimeMs = Math.max(this.newestMtimeMs, st.mtimeMs);
      }
      return cur;
    }
    throw new Error(`${hostPath}: too many levels of symbolic links`);
  }

  /** Plans a symlink at `dest` (rootfs-relative) pointing to `target` (relative to its dir). */
  link(dest: string, target: string): void {
    if (!this.planned.has(dest)) this.planned.set(dest, { kind: 'link', target });
  }

  has(dest: string): boolean {
    return this.planned.has(dest);
  }

  /** Carries out the plan. */
  async write(): Promise<void> {
    const dirs = new Set<string>();
    for (const dest of this.planned.keys()) dirs.add(dirname(join(this.tree, dest)));
    for (const dir of [...dirs].sort()) await mkdir(dir, { recursive: true, mode: 0o755 });
    await Promise.all(
      [...this.planned].map(async ([dest, p]) => {
        const abs = join(this.tree, dest);
        if (p.kind === 'link') {
          await symlink(p.target, abs);
        } else {
          // COPYFILE_EXCL: fail rather than write through anything already at `abs`.
          await copyFile(p.src, abs, constants.COPYFILE_EXCL);
          await chmod(abs, p.mode);
        }
      }),
    );
  }
}
