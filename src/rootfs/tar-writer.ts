/**
 * Packs a directory tree we built ourselves into a deterministic tar file.
 *
 * Headers are encoded by node-tar (`Header`, and `Pax` for long names). We do not use node-tar's
 * `Pack` here because its `portable` mode clears group/other write bits from every mode
 * ((mode | 0o600) & ~0o022): /tmp would arrive as 1755 instead of 1777. Writing the entries
 * ourselves keeps the modes exact and gives us what `portable` is for: uid/gid 0, no user or
 * group names, no atime/ctime/dev/ino, and one fixed order (sorted by name, each directory
 * before its contents).
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Header, Pax, type HeaderData } from 'tar';

export interface PackOptions {
  /** One mtime for every entry (deterministic output); default: each file's own mtime. */
  mtime?: Date;
  /** The mode to record for an entry (path relative to the root, no trailing slash). */
  modeOf?: (rel: string, st: Stats) => number | undefined;
}

export interface PackResult {
  bytes: number;
  entries: number;
}

const BLOCK = 512;
const FLUSH_AT = 1 << 20;

class BufferedWriter {
  private chunks: Buffer[] = [];
  private pending = 0;
  bytes = 0;
  constructor(private readonly fh: FileHandle) {}

  async push(buf: Buffer): Promise<void> {
    this.chunks.push(buf);
    this.pending += buf.length;
    this.bytes += buf.length;
    if (this.pending >= FLUSH_AT) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.pending);
    this.chunks = [];
    this.pending = 0;
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await this.fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
  }
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function headerBlocks(data: HeaderData): Buffer[] {
  const header = new Header({ uid: 0, gid: 0, ...data });
  const needPax = header.encode();
  if (!header.block) throw new Error(`tar: cannot encode a header for ${data.path}`);
  if (!needPax) return [header.block];
  const pax = new Pax({ path: data.path, linkpath: data.linkpath, size: data.size, mtime: data.mtime });
  return [pax.encode(), header.block];
}

/** Writes `root`'s contents (not `root` itself) to `outFile` (created, must not exist), fsynced. */
export async function packTree(root: string, outFile: string, opts: PackOptions = {}): Promise<PackResult> {
  const fh = await open(outFile, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  const out = new BufferedWriter(fh);
  const hardlinks = new Map<string, string>();
  const fixedMtime = opts.mtime ? wholeSeconds(opts.mtime) : undefined;
  const readBuf = Buffer.alloc(FLUSH_AT);
  let entries = 0;

  const addFileData = async (abs: string, rel: string, size: number): Promise<void> => {
    const src = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      let left = size;
      while (left > 0) {
        const { bytesRead } = await src.read(readBuf, 0, Math.min(left, readBuf.length));
        if (bytesRead === 0) throw new Error(`tar: ${rel} shrank while it was being packed`);
        await out.push(Buffer.from(readBuf.subarray(0, bytesRead)));
        left -= bytesRead;
      }
    } finally {
      await src.close();
    }
    const pad = (BLOCK - (size % BLOCK)) % BLOCK;
    if (pad) await out.push(Buffer.alloc(pad));
  };

  const walk = async (dirAbs: string, dirRel: string): Promise<void> => {
    const names = (await readdir(dirAbs)).sort();
    for (const name of names) {
      const abs = join(dirAbs, name);
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const st = await lstat(abs);
      const mode = (opts.modeOf?.(rel, st) ?? st.mode) & 0o7777;
      const mtime = fixedMtime ?? wholeSeconds(st.mtime);
      if (st.isDirectory()) {
        for (const b of headerBlocks({ path: `${rel}/`, type: 'Directory', mode, size: 0, mtime })) await out.push(b);
        entries++;
        await walk(abs, rel);
      } else if (st.isSymbolicLink()) {
        const linkpath = await readlink(abs);
        for (const b of headerBlocks({ path: rel, type: 'SymbolicLink', linkpath, mode, size: 0, mtime })) await out.push(b);
        entries++;
      } else if (st.isFile()) {
        const id = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? hardlinks.get(id) : undefined;
        if (first !== undefined) {
          for (const b of headerBlocks({ path: rel, type: 'Link', linkpath: first, mode, size: 0, mtime })) await out.push(b);
        } else {
          if (st.nlink > 1) hardlinks.set(id, rel);
          for (const b of headerBlocks({ path: rel, type: 'File', mode, size: st.size, mtime })) await out.push(b);
          await addFileData(abs, rel, st.size);
        }
        entries++;
      }
      // Anything else (device, fifo, socket) never gets into a tree we pack: the builders skip it.
    }
  };

  try {
    await walk(root, '');
    await out.push(Buffer.alloc(BLOCK * 2)); // end-of-archive: two zero blocks
    await out.flush();
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { bytes: out.bytes, entries };
}
