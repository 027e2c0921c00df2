/**
 * Just enough ELF to find a binary's program interpreter (PT_INTERP, the dynamic loader).
 *
 * `ldd` is a bash script that starts the loader once per file; asking the loader directly for all
 * files from one small shell loop is about five times faster, and for that we need to know which
 * loader each binary asks for.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const PT_INTERP = 3;

/** The PT_INTERP path of an ELF file, or undefined for a static binary, a script or a non-ELF. */
export function readInterpreter(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    if (readSync(fd, head, 0, 64, 0) < 52) return undefined;
    if (head.readUInt32BE(0) !== 0x7f454c46) return undefined; // "\x7fELF"
    const is64 = head[4] === 2;
    const le = head[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const uN = (b: Buffer, o: number) =>
      is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o);
    const phoff = uN(head, is64 ? 0x20 : 0x1c);
    const phentsize = u16(head, is64 ? 0x36 : 0x2a);
    const phnum = u16(head, is64 ? 0x38 : 0x2c);
    if (phnum === 0 || phentsize < (is64 ? 56 : 32) || phnum > 512) return undefined;
    const table = Buffer.alloc(phentsize * phnum);
    if (readSync(fd, table, 0, table.length, phoff) < table.length) return undefined;
    for (let i = 0; i < phnum; i++) {
      const ph = i * phentsize;
      if (u32(table, ph) !== PT_INTERP) continue;
      const offset = uN(table, ph + (is64 ? 0x08 : 0x04));
      const size = uN(table, ph + (is64 ? 0x20 : 0x10));
      if (size <= 1 || size > 4096) return undefined;
      const name = Buffer.alloc(size);
      readSync(fd, name, 0, size, offset);
      const end = name.indexOf(0);
      return name.subarray(0, end < 0 ? size : end).toString('utf8');
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}
