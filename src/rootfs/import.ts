/**
 * `--rootfs PATH`: a user-supplied root filesystem (a directory, a .tar, or a .tar.gz/.tgz,
 * told apart by magic bytes) is copied into a private work dir under the rules of SafeTree, then
 * repacked into the cache as a sanitized tar. A bad or unsafe input gets an NslabError naming the
 * file and the problem, and leaves nothing behind: no cache file, no work dir.
 */
import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync, readlinkSync, realpathSync, statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NslabError } from '../errors.ts';
import {
  CACHE_FORMAT,
  commitImage,
  defaultCacheDir,
  formatMB,
  makeWorkTree,
  prepareCacheDir,
  pruneImages,
  readCached,
  removeWorkTree,
  touchImage,
  type RootfsImage,
} from './cache.ts';
import { BadArchiveError, copyDirectory, extractArchive, sniffArchive } from './extract.ts';
import { SafeTree, UnsafeInputError, type TreeStats } from './safe-tree.ts';

export type { RootfsImage } from './cache.ts';

const IMPORT_HINT =
  'Give --rootfs a directory, a .tar or a .tar.gz holding a root filesystem with /bin/sh, for example ' +
  "Alpine's minirootfs tarball or the output of `docker export`.";

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`nslab import ${CACHE_FORMAT}\0file\0`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Identity of a directory input: its path plus a walk of (path, type, size, mtime, mode, link). */
function hashDirectory(path: string): string {
  const hash = createHash('sha256');
  const real = realpathSync(path);
  hash.update(`nslab import ${CACHE_FORMAT}\0dir\0${real}\0`);
  const rootDev = statSync(real).dev;
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? 'f' : 'o';
      const link = type === 'l' ? readlinkSync(abs) : '';
      hash.update(`${r}\0${type}\0${st.size}\0${st.mtimeMs}\0${st.mode}\0${st.nlink > 1 ? st.ino : 0}\0${link}\n`);
      if (type === 'd' && st.dev === rootDev) walk(abs, r);
    }
  };
  walk(real, '');
  return hash.digest('hex');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function describeImport(input: string, format: string, s: TreeStats, added: string[], bytes: number): string {
  const counts = [plural(s.files, 'file'), plural(s.dirs, 'directory', 'directories'), plural(s.symlinks, 'symlink')];
  if (s.hardlinks) counts.push(plural(s.hardlinks, 'hardlink'));
  const parts = [`Imported from ${input} (${format}): ${counts.join(', ')}, ${formatMB(bytes)}.`];
  const skipped: string[] = [];
  if (s.devices) skipped.push(plural(s.devices, 'device node'));
  if (s.fifos) skipped.push(plural(s.fifos, 'fifo'));
  if (s.sockets) skipped.push(plural(s.sockets, 'socket'));
  if (skipped.length) parts.push(`Skipped ${skipped.join(', ')} (the lab sets up its own /dev).`);
  if (s.unsupported) parts.push(`Skipped ${plural(s.unsupported, 'entry', 'entries')} of a type nslab does not extract (e.g. sparse files).`);
  if (s.mountPoints) parts.push(`Did not copy ${plural(s.mountPoints, 'filesystem')} mounted inside it (left as empty directories).`);
  if (s.setidCleared) parts.push(`Cleared setuid/setgid bits on ${plural(s.setidCleared, 'entry', 'entries')}.`);
  if (added.length) parts.push(`Added missing mount points: ${added.map((a) => `/${a}`).join(', ')}.`);
  return parts.join(' ');
}

function toNslabError(err: unknown, input: string): NslabError {
  if (err instanceof NslabError) return err;
  if (err instanceof UnsafeInputError) {
    return new NslabError(
      `Refusing to import ${input}: ${err.message}. Nothing was imported.`,
      'A root filesystem archive never needs entries outside its own tree; this one may be malicious or damaged. ' + IMPORT_HINT,
    );
  }
  if (err instanceof BadArchiveError) return new NslabError(`Cannot import ${input}: ${err.message}.`, IMPORT_HINT);
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') {
    return new NslabError(`Cannot import ${input}: the disk is full (${e.message}).`, 'Free some space, or set XDG_CACHE_HOME to a disk that has room.');
  }
  if (e?.code === 'EACCES' || e?.code === 'EPERM') {
    return new NslabError(`Cannot import ${input}: permission denied (${e.message}).`, 'Run nslab as a user who can read every file of the rootfs.');
  }
  return new NslabError(`Cannot import ${input}: ${e?.message ?? String(err)}.`, IMPORT_HINT);
}

/** Imported images kept besides the one in use: the most recently used ones. */
export const IMPORTS_KEPT = 2;

/** Imports `path` (directory, tar or gzip'd tar) into the cache; reuses it when unchanged. */
export async function importRootfs(path: string, opts: { cacheDir?: string } = {}): Promise<RootfsImage> {
  const input = resolve(path);
  let st: Stats;
  try {
    st = await stat(input);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new NslabError(
      `Cannot import ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}.`,
      IMPORT_HINT,
    );
  }
  if (!st.isDirectory() && !st.isFile()) {
    throw new NslabError(`Cannot import ${path}: it is neither a directory nor a regular file.`, IMPORT_HINT);
  }
  const isDir = st.isDirectory();
  const cacheDir = await prepareCacheDir(opts.cacheDir ?? defaultCacheDir());
  if (isDir) {
    // Copying a directory that holds our own cache would copy the copy into itself.
    const from = realpathSync(input);
    const cache = realpathSync(cacheDir);
    if (cache === from || cache.startsWith(from === '/' ? '/' : `${from}/`)) {
      throw new NslabError(
        `Cannot import ${path}: nslab's cache directory ${cacheDir} is inside it.`,
        'Point --rootfs at the root filesystem itself (a directory with bin/, etc/, usr/ ...), not at a directory above the cache.',
      );
    }
  }

  let key: string;
  try {
    key = isDir ? hashDirectory(input) : await hashFile(input);
  } catch (err) {
    throw toNslabError(err, path);
  }
  const cached = await readCached(cacheDir, 'import', key);
  if (cached) {
    await touchImage(cached);
    await pruneImages(cacheDir, 'import', key, IMPORTS_KEPT);
    return cached;
  }

  const work = await makeWorkTree(cacheDir);
  const tree = new SafeTree(work);
  try {
    let format: string;
    let entries: number;
    if (isDir) {
      format = 'directory';
      entries = copyDirectory(input, tree);
    } else {
      format = (await sniffArchive(input)).format === 'gzip' ? 'gzip-compressed tar' : 'tar';
      entries = await extractArchive(input, tree);
    }
    tree.finish();
    if (entries === 0) throw new BadArchiveError(isDir ? 'the directory is empty' : 'the archive is empty (it has no entries)');
    const s = tree.stats;
    if (s.unsupported > 0 && s.files + s.dirs + s.symlinks + s.hardlinks === 0) {
      throw new BadArchiveError(
        `it holds ${plural(s.unsupported, 'entry', 'entries')}, none of a type nslab extracts (GNU sparse files, say: re-create it without --sparse)`,
      );
    }
    const sh = tree.resolveInside('/bin/sh');
    const shSt = sh ? lstatSync(sh, { throwIfNoEntry: false }) : undefined;
    if (!shSt) throw new BadArchiveError('there is no /bin/sh in it, and a container needs a shell there');
    if (!shSt.isFile() || (shSt.mode & 0o111) === 0) throw new BadArchiveError('its /bin/sh is not an executable file');
    const added = tree.addMountPoints();
    const image = await commitImage(work, cacheDir, 'import', key, (bytes) => describeImport(input, format, tree.stats, added, bytes), {
      modeOf: tree.modeOf,
    });
    await pruneImages(cacheDir, 'import', key, IMPORTS_KEPT);
    return image;
  } catch (err) {
    throw toNslabError(err, path);
  } finally {
    tree.abort();
    await removeWorkTree(work);
  }
}
