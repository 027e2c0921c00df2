/**
 * Reading a user-supplied rootfs: a tar (plain or gzip) parsed with node-tar's Parser, or a
 * directory walked without following symlinks. Both feed a SafeTree, which does every write.
 */
import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { SafeTree, UnsafeInputError, entryParts } from './safe-tree.ts';

/** The input is not a readable archive (as opposed to an unsafe one). */
export class BadArchiveError extends Error {
  override readonly name = 'BadArchiveError';
}

export type ArchiveFormat = 'tar' | 'gzip';

export interface Sniffed {
  format: ArchiveFormat;
  /** The first block is all zeros: for a tar, that is an archive with no entries. */
  zeroStart: boolean;
}

/** Looks at the magic bytes (not the name) to tell gzip from tar, and names what we can't read. */
export async function sniffArchive(file: string): Promise<Sniffed> {
  const fh = await open(file, 'r');
  let head: Buffer;
  let size: number;
  try {
    size = (await fh.stat()).size;
    head = Buffer.alloc(Math.min(size, 512));
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  if (size === 0) throw new BadArchiveError('the file is empty');
  if (head[0] === 0x1f && head[1] === 0x8b) return { format: 'gzip', zeroStart: false };
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) throw new BadArchiveError('it is xz-compressed, which nslab cannot read; unpack it with `xz -d` first');
  if (starts(0x42, 0x5a, 0x68)) throw new BadArchiveError('it is bzip2-compressed, which nslab cannot read; unpack it with `bunzip2` first');
  if (starts(0x28, 0xb5, 0x2f, 0xfd)) throw new BadArchiveError('it is zstd-compressed, which nslab cannot read; unpack it with `zstd -d` first');
  if (starts(0x50, 0x4b, 0x03, 0x04)) throw new BadArchiveError('it is a zip file, not a tar archive');
  if (size < 512) throw new BadArchiveError(`it is only ${size} bytes, too short to be a tar archive (512-byte blocks)`);
  return { format: 'tar', zeroStart: head.every((b) => b === 0) };
}

/**
 * Extracts `file` into `tree`. Throws UnsafeInputError for an entry that would land outside the
 * tree (the whole archive is refused), BadArchiveError when it is not a readable tar.
 * Returns the number of entries seen.
 */
export async function extractArchive(file: string, tree: SafeTree): Promise<number> {
  const sniffed = await sniffArchive(file);
  const parser = new Parser();
  const input = createReadStream(file);
  let failure: Error | undefined;
  let entries = 0;
  let settle: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const fail = (err: Error): void => {
    if (failure) return;
    failure = err;
    input.unpipe();
    input.destroy();
    settle();
  };

  parser.on('warn', (code: string, message: string | Error) => {
    if (code === 'TAR_ENTRY_INFO') return;
    const text = message instanceof Error ? message.message : message;
    if (entries === 0 && sniffed.zeroStart && /Unrecognized archive format/.test(text)) {
      fail(new BadArchiveError('the archive is empty (it has no entries)'));
      return;
    }
    fail(new BadArchiveError(describeTarProblem(code, text, entries)));
  });
  parser.on('error', (err: Error) =>
    fail(new BadArchiveError(describeTarProblem((err as { code?: string }).code ?? '', err.message, entries))),
  );
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    // An entry node-tar does not unpack (a GNU sparse file, say) is still an entry: an
    // archive of only those is not "empty", and the caller says what it holds instead.
    if (entry.meta) return;
    entries++;
    tree.stats.unsupported++;
  });
  parser.on('entry', (entry: ReadEntry) => {
    if (failure) {
      entry.resume();
      return;
    }
    entries++;
    try {
      handleEntry(entry, tree, () => failure !== undefined, fail);
    } catch (err) {
      fail(err as Error);
      entry.resume();
    }
  });
  parser.on('end', () => settle());
  input.on('error', (err) => fail(err));
  input.pipe(parser as unknown as NodeJS.WritableStream);
  await done;
  if (failure) throw failure;
  return entries;
}

function describeTarProblem(code: string, message: string, entriesSoFar: number): string {
  if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || /incorrect header check|invalid (block|distance|stored)|unexpected end of file/i.test(message)) {
    return `the gzip data is corrupt or cut short (${message})`;
  }
  if (/Unrecognized archive format/.test(message)) return 'it is not a tar archive (no valid tar header found)';
  if (/Truncated input/.test(message)) return `the archive is cut short: ${message.replace(/^Truncated input /, '')}`;
  if (code === 'TAR_ENTRY_INVALID' && entriesSoFar === 0) return `it is not a tar archive (no valid tar header at the start: ${message})`;
  if (code === 'TAR_ENTRY_INVALID') return `it contains a damaged tar header after ${entriesSoFar} good entries (${message})`;
  return `it is not a valid tar archive (${code ? `${code}: ` : ''}${message})`;
}

function handleEntry(entry: ReadEntry, tree: SafeTree, failed: () => boolean, fail: (err: Error) => void): void {
  const name = entry.path;
  entryParts(name); // every name must be safe, even for entries we skip
  switch (entry.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile': {
      tree.beginFile(name, entry.mode ?? 0o644);
      entry.on('data', (chunk: Buffer) => {
        if (failed()) return;
        try {
          tree.write(chunk);
        } catch (err) {
          fail(err as Error);
        }
      });
      entry.on('end', () => {
        if (failed()) return;
        try {
          tree.endFile(entry.mtime);
        } catch (err) {
          fail(err as Error);
        }
      });
      return;
    }
    case 'Directory':
    case 'GNUDumpDir':
      tree.dir(name, entry.mode ?? 0o755, entry.mtime);
      break;
    case 'SymbolicLink':
      tree.symlink(name, entry.linkpath ?? '', entry.mtime);
      break;
    case 'Link':
      tree.hardlink(name, entry.linkpath ?? '');
      break;
    case 'CharacterDevice':
    case 'BlockDevice':
      tree.stats.devices++;
      break;
    case 'FIFO':
      tree.stats.fifos++;
      break;
    default:
      tree.stats.unsupported++;
  }
  entry.resume();
}

/**
 * Copies the directory `src` into `tree` (the input is never changed): directories, regular
 * files, symlinks as they are (not followed), hardlinks kept; devices, fifos and sockets skipped;
 * other filesystems mounted inside (a /proc left mounted, say) become empty directories.
 */
export function copyDirectory(src: string, tree: SafeTree): number {
  const rootDev = statSync(src).dev;
  const realRoot = realpathSync(src);
  const firstOfInode = new Map<string, string>();
  const buf = Buffer.alloc(1 << 20);
  let entries = 0;

  const copyFile = (abs: string, rel: string, st: Stats): void => {
    // O_NOFOLLOW + fstat: if the name was swapped for a symlink since we looked, refuse.
    const fd = openSync(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const fst = fstatSync(fd);
      if (!fst.isFile() || fst.ino !== st.ino || fst.dev !== st.dev) {
        throw new UnsafeInputError(`"${rel}" changed while it was being copied`);
      }
      // O_NOFOLLOW guards only the last name: a parent directory swapped for a symlink meanwhile
      // would lead elsewhere (and lstat and fstat would agree). The kernel's own name for the
      // opened file must be the one under the input directory.
      if (readlinkSync(`/proc/self/fd/${fd}`) !== join(realRoot, rel)) {
        throw new UnsafeInputError(`"${rel}" changed while it was being copied (a directory on its path was replaced)`);
      }
      tree.beginFile(rel, st.mode & 0o7777);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        tree.write(buf.subarray(0, n));
      }
      tree.endFile(st.mtime);
    } finally {
      closeSync(fd);
    }
  };

  const walk = (dirAbs: string, dirRel: string): void => {
    for (const name of readdirSync(dirAbs).sort()) {
      const abs = join(dirAbs, name);
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const st = lstatSync(abs);
      entries++;
      if (st.isDirectory()) {
        tree.dir(rel, st.mode & 0o7777, st.mtime);
        if (st.dev !== rootDev) {
          tree.stats.mountPoints++;
          continue;
        }
        walk(abs, rel);
      } else if (st.isSymbolicLink()) {
        tree.symlink(rel, readlinkSync(abs), st.mtime);
      } else if (st.isFile()) {
        const id = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? firstOfInode.get(id) : undefined;
        if (first !== undefined) {
          tree.hardlink(rel, first);
        } else {
          if (st.nlink > 1) firstOfInode.set(id, rel);
          copyFile(abs, rel, st);
        }
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        tree.stats.devices++;
      } else if (st.isFIFO()) {
        tree.stats.fifos++;
      } else if (st.isSocket()) {
        tree.stats.sockets++;
      } else {
        tree.stats.unsupported++;
      }
    }
  };
  walk(src, '');
  return entries;
}
