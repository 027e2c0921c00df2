/**
 * Importing a user-supplied rootfs (--rootfs): good inputs are repacked into the cache, hostile or
 * broken ones are refused with an NslabError, and in every case nothing lands outside the work
 * dir and nothing is left behind on failure. The archives are built here with Python's tarfile,
 * which writes whatever names and types we ask for.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { list } from 'tar';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NslabError } from '../src/errors.ts';
import { ensureHostRootfs } from '../src/rootfs/build.ts';
import { IMPORTS_KEPT, importRootfs } from '../src/rootfs/import.ts';

type Spec =
  | { name: string; type: 'file'; data?: string; mode?: number }
  | { name: string; type: 'dir'; mode?: number }
  | { name: string; type: 'sym' | 'link'; target: string }
  | { name: string; type: 'chr' | 'fifo' };

const MAKE_TAR = `
import json, sys, tarfile, io, time
out, spec = sys.argv[1], json.loads(sys.argv[2])
with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as t:
    for e in spec:
        ti = tarfile.TarInfo(e['name'])
        ti.mtime = 1700000000
        ti.mode = e.get('mode', 0o755 if e['type'] == 'dir' else 0o644)
        data = None
        if e['type'] == 'file':
            data = e.get('data', '').encode()
            ti.size = len(data)
        elif e['type'] == 'dir':
            ti.type = tarfile.DIRTYPE
        elif e['type'] == 'sym':
            ti.type, ti.linkname = tarfile.SYMTYPE, e['target']
        elif e['type'] == 'link':
            ti.type, ti.linkname = tarfile.LNKTYPE, e['target']
        elif e['type'] == 'chr':
            ti.type, ti.devmajor, ti.devminor = tarfile.CHRTYPE, 1, 3
        elif e['type'] == 'fifo':
            ti.type = tarfile.FIFOTYPE
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
`;

let base: string;
let cacheDir: string;
let inputs: string;
let canary: string;
let counter = 0;

function makeTar(spec: Spec[], opts: { gzip?: boolean; name?: string } = {}): string {
  const out = join(inputs, opts.name ?? `in-${++counter}.tar`);
  execFileSync('python3', ['-c', MAKE_TAR, out, JSON.stringify(spec)]);
  if (opts.gzip) writeFileSync(out, gzipSync(readFileSync(out)));
  return out;
}

/** A small valid rootfs in the Alpine minirootfs shape: "./" names, absolute symlinks to busybox. */
function goodSpec(): Spec[] {
  return [
    { name: './', type: 'dir' },
    { name: './bin/', type: 'dir' },
    { name: './bin/busybox', type: 'file', data: '#!/bin/busybox\necho fake\n', mode: 0o755 },
    { name: './bin/sh', type: 'sym', target: '/bin/busybox' },
    { name: './bin/ls', type: 'sym', target: '/bin/busybox' },
    { name: './bin/su', type: 'file', data: 'setuid', mode: 0o4755 },
    { name: './etc/', type: 'dir' },
    { name: './etc/passwd', type: 'file', data: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: './etc/shadow', type: 'file', data: 'root:*::0:::::\n', mode: 0o000 },
    { name: './etc/passwd-', type: 'link', target: './etc/passwd' },
    { name: './etc/hostname', type: 'file', data: 'alpine\n' },
    { name: './dev/', type: 'dir' },
    { name: './dev/null', type: 'chr' },
    { name: './dev/initctl', type: 'fifo' },
    { name: './usr/lib/os-release', type: 'file', data: 'ID=alpine\n' },
    { name: './etc/os-release', type: 'sym', target: '../usr/lib/os-release' },
    { name: './tmp/', type: 'dir', mode: 0o1777 },
  ];
}

function snapshot(dir: string): string {
  const lines: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const abs = join(d, name);
      const st = lstatSync(abs);
      const content = st.isFile() ? createHash('sha256').update(readFileSync(abs)).digest('hex') : st.isSymbolicLink() ? readlinkSync(abs) : '';
      lines.push(`${rel}${name} ${st.mode.toString(8)} ${st.mtimeMs} ${content}`);
      if (st.isDirectory()) walk(abs, `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return lines.join('\n');
}

let canarySnapshot: string;

function cacheLeftovers(): string[] {
  return readdirSync(cacheDir).filter((n) => n.startsWith('nslab-rootfs-') || n.endsWith('.tmp') || n.startsWith('rootfs-import-'));
}

async function expectRefused(input: string, message: RegExp): Promise<NslabError> {
  const err = await importRootfs(input, { cacheDir }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `${input} was accepted`).toBeInstanceOf(NslabError);
  const e = err as NslabError;
  expect(e.message).toContain(input);
  expect(e.message).toMatch(message);
  expect(e.hint).toBeTruthy();
  // Nothing written anywhere: no cache file, no work dir, canary unchanged, nothing beside it.
  expect(cacheLeftovers()).toEqual([]);
  expect(snapshot(canary)).toBe(canarySnapshot);
  expect(readdirSync(base).sort()).toEqual(['cache', 'canary', 'inputs']);
  expect(existsSync('/abs')).toBe(false);
  return e;
}

async function tarEntries(file: string): Promise<Map<string, { type: string; mode: number; linkpath?: string }>> {
  const m = new Map<string, { type: string; mode: number; linkpath?: string }>();
  await list({ file, onReadEntry: (e) => m.set(e.path.replace(/\/$/, ''), { type: e.type, mode: e.mode ?? 0, linkpath: e.linkpath }) });
  return m;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'nslab-import-test-'));
  cacheDir = join(base, 'cache');
  inputs = join(base, 'inputs');
  canary = join(base, 'canary');
  mkdirSync(cacheDir);
  mkdirSync(inputs);
  mkdirSync(join(canary, 'sub'), { recursive: true });
  writeFileSync(join(canary, 'file'), 'canary\n');
  writeFileSync(join(canary, 'sub', 'x'), 'x\n');
  canarySnapshot = snapshot(canary);
});

afterAll(() => {
  if (base) rmSync(base, { recursive: true, force: true });
});

beforeEach(() => {
  // Each test starts with an empty cache so a refusal can be checked for leftovers.
  for (const name of readdirSync(cacheDir)) rmSync(join(cacheDir, name), { recursive: true, force: true });
});

describe('importRootfs: good inputs', () => {
  it('imports a tarball with absolute symlinks, keeps them, skips devices and fifos', async () => {
    const longDir = `usr/share/${'d'.repeat(90)}/${'e'.repeat(90)}`;
    const longFile = `${longDir}/${'f'.repeat(120)}`;
    const longTarget = `/${'t'.repeat(150)}/x`;
    const input = makeTar([
      ...goodSpec(),
      { name: longFile, type: 'file', data: 'long' },
      { name: 'usr/share/long-link', type: 'sym', target: longTarget },
    ]);
    const image = await importRootfs(input, { cacheDir });
    expect(image.source).toBe('import');
    expect(image.tarPath).toBe(join(cacheDir, `rootfs-import-${image.key.slice(0, 16)}.tar`));
    expect(image.bytes).toBe(statSync(image.tarPath).size);
    expect(image.description).toContain(input);
    expect(image.description).toContain('1 device node');
    expect(image.description).toContain('1 fifo');
    expect(image.description).toMatch(/Added missing mount points: \/proc, \/sys/);
    expect(image.description).toContain('setuid');

    const e = await tarEntries(image.tarPath);
    expect(e.get('bin/sh')).toMatchObject({ type: 'SymbolicLink', linkpath: '/bin/busybox' });
    expect(e.get('bin/ls')).toMatchObject({ type: 'SymbolicLink', linkpath: '/bin/busybox' });
    expect(e.get('etc/os-release')).toMatchObject({ type: 'SymbolicLink', linkpath: '../usr/lib/os-release' });
    expect(e.get('bin/busybox')).toMatchObject({ type: 'File', mode: 0o755 });
    expect(e.get('bin/su')!.mode).toBe(0o755); // setuid cleared
    expect(e.get('etc/shadow')!.mode).toBe(0o000); // the archive's mode, not the work copy's
    expect([e.get('etc/passwd')!.type, e.get('etc/passwd-')!.type].sort()).toEqual(['File', 'Link']);
    expect(e.has('dev/null')).toBe(false);
    expect(e.has('dev/initctl')).toBe(false);
    expect(e.get('tmp')!.mode).toBe(0o1777);
    for (const dir of ['proc', 'sys', 'dev', 'tmp']) expect(e.get(dir)?.type, dir).toBe('Directory');
    expect(e.get('etc/hostname')?.type).toBe('File'); // an import keeps what it has

    // GNU tar, as the lab runs it, reads it back.
    const out = join(base, 'cache', 'nslab-rootfs-check');
    mkdirSync(out);
    try {
      execFileSync('tar', ['-x', '--no-same-owner', '-f', image.tarPath, '-C', out]);
      expect(readlinkSync(join(out, 'bin/sh'))).toBe('/bin/busybox');
      expect(readFileSync(join(out, 'etc/passwd-'), 'utf8')).toContain('root:x:0:0');
      expect(statSync(join(out, 'etc/passwd-')).ino).toBe(statSync(join(out, 'etc/passwd')).ino);
      expect(readFileSync(join(out, longFile), 'utf8')).toBe('long'); // pax header for the long name
      expect(readlinkSync(join(out, 'usr/share/long-link'))).toBe(longTarget);
      expect(statSync(join(out, 'tmp')).mode & 0o7777).toBe(0o1777);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    expect(cacheLeftovers().filter((n) => !n.startsWith('rootfs-import-'))).toEqual([]);
    expect(snapshot(canary)).toBe(canarySnapshot);
  });

  it('reuses the cache for the same input (same key, file untouched)', async () => {
    const input = makeTar(goodSpec());
    const first = await importRootfs(input, { cacheDir });
    const st = statSync(first.tarPath);
    const again = await importRootfs(input, { cacheDir });
    expect(again).toEqual(first);
    expect(statSync(again.tarPath).mtimeMs).toBe(st.mtimeMs);
  });

  it('detects gzip by its magic bytes, whatever the name says', async () => {
    const gz = makeTar(goodSpec(), { gzip: true, name: 'gzipped-but-named.tar' });
    const plain = makeTar(goodSpec(), { name: 'plain-but-named.tgz' });
    const a = await importRootfs(gz, { cacheDir });
    expect(a.description).toContain('gzip-compressed tar');
    const b = await importRootfs(plain, { cacheDir });
    expect(b.description).toMatch(/\(tar\)/);
    const ea = await tarEntries(a.tarPath);
    const eb = await tarEntries(b.tarPath);
    expect([...ea.keys()]).toEqual([...eb.keys()]);
  });

  it('replaces a symlink by a later entry of the same name without writing through it', async () => {
    const input = makeTar([
      ...goodSpec(),
      { name: 'etc/motd', type: 'sym', target: join(canary, 'file') },
      { name: 'etc/motd', type: 'file', data: 'overwritten?\n' },
      { name: 'var', type: 'sym', target: canary },
      { name: 'var/', type: 'dir' },
      { name: 'var/new', type: 'file', data: 'inside\n' },
    ]);
    const image = await importRootfs(input, { cacheDir });
    const e = await tarEntries(image.tarPath);
    expect(e.get('etc/motd')?.type).toBe('File');
    expect(e.get('var')?.type).toBe('Directory');
    expect(e.get('var/new')?.type).toBe('File');
    expect(snapshot(canary)).toBe(canarySnapshot);
  });

  it('copies a directory (not moves it): symlinks kept, not followed; devices, fifos, sockets skipped', async () => {
    const src = join(inputs, `dir-${++counter}`);
    mkdirSync(join(src, 'bin'), { recursive: true });
    mkdirSync(join(src, 'etc'));
    copyFileSync('/bin/sh', join(src, 'bin', 'dash'));
    chmodSync(join(src, 'bin', 'dash'), 0o755);
    symlinkSync('dash', join(src, 'bin', 'sh'));
    symlinkSync('/etc/passwd', join(src, 'etc', 'abs-link'));
    symlinkSync(canary, join(src, 'outside')); // must be copied as a link, not followed
    writeFileSync(join(src, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    execFileSync('mkfifo', [join(src, 'fifo')]);
    execFileSync('python3', ['-c', 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])', join(src, 'sock')]);
    const isRoot = process.getuid?.() === 0;
    if (isRoot) execFileSync('mknod', [join(src, 'null'), 'c', '1', '3']);
    const before = snapshot(src);

    const image = await importRootfs(src, { cacheDir });
    expect(image.description).toContain('(directory)');
    expect(image.description).toContain('1 fifo');
    expect(image.description).toContain('1 socket');
    if (isRoot) expect(image.description).toContain('1 device node');
    const e = await tarEntries(image.tarPath);
    expect(e.get('bin/sh')).toMatchObject({ type: 'SymbolicLink', linkpath: 'dash' });
    expect(e.get('outside')).toMatchObject({ type: 'SymbolicLink', linkpath: canary });
    expect(e.get('etc/abs-link')).toMatchObject({ type: 'SymbolicLink', linkpath: '/etc/passwd' });
    expect([...e.keys()].some((k) => k.startsWith('outside/'))).toBe(false);
    for (const skipped of ['fifo', 'sock', 'null']) expect(e.has(skipped)).toBe(false);
    expect(snapshot(src)).toBe(before);
    expect(snapshot(canary)).toBe(canarySnapshot);

    const again = await importRootfs(src, { cacheDir });
    expect(again.key).toBe(image.key);
    writeFileSync(join(src, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/bash\n');
    const changed = await importRootfs(src, { cacheDir });
    expect(changed.key).not.toBe(image.key);
  });
});

describe('importRootfs: hostile archives are refused, nothing written outside', () => {
  it('refuses ".." in a name', async () => {
    await expectRefused(makeTar([...goodSpec(), { name: '../../etc/evil', type: 'file', data: 'evil' }]), /"\.\.\/\.\.\/etc\/evil" contains "\.\."/);
    await expectRefused(makeTar([...goodSpec(), { name: '../../canary/evil', type: 'file', data: 'evil' }]), /contains "\.\."/);
    await expectRefused(makeTar([{ name: 'bin/../../../canary/evil', type: 'sym', target: '/x' }]), /contains "\.\."/);
  });

  it('refuses absolute names', async () => {
    await expectRefused(makeTar([...goodSpec(), { name: '/abs/evil', type: 'file', data: 'evil' }]), /"\/abs\/evil" has an absolute path/);
    await expectRefused(makeTar([...goodSpec(), { name: join(canary, 'evil'), type: 'file', data: 'evil' }]), /absolute path/);
  });

  it('refuses writing through a symlink', async () => {
    await expectRefused(
      makeTar([...goodSpec(), { name: 'link', type: 'sym', target: canary }, { name: 'link/evil', type: 'file', data: 'evil' }]),
      /"link\/evil" goes through the symlink "link"/,
    );
    await expectRefused(
      makeTar([...goodSpec(), { name: 'up', type: 'sym', target: '../..' }, { name: 'up/canary/evil', type: 'file', data: 'evil' }]),
      /goes through the symlink "up"/,
    );
    await expectRefused(
      makeTar([...goodSpec(), { name: 'link', type: 'sym', target: '/tmp' }, { name: 'link/sub/', type: 'dir' }]),
      /goes through the symlink/,
    );
  });

  it('refuses hardlinks that point outside', async () => {
    await expectRefused(makeTar([...goodSpec(), { name: 'etc/pw', type: 'link', target: '/etc/passwd' }]), /hardlink "etc\/pw" points outside/);
    await expectRefused(makeTar([...goodSpec(), { name: 'etc/pw', type: 'link', target: '../../canary/file' }]), /points outside/);
    await expectRefused(
      makeTar([...goodSpec(), { name: 'cl', type: 'sym', target: canary }, { name: 'pw', type: 'link', target: 'cl/file' }]),
      /goes through the symlink "cl"/,
    );
    await expectRefused(makeTar([...goodSpec(), { name: 'pw', type: 'link', target: 'etc/nope' }]), /not a file earlier in the archive/);
  });

  it('refuses a hostile archive even when it is gzip-compressed', async () => {
    await expectRefused(makeTar([...goodSpec(), { name: '../../etc/evil', type: 'file' }], { gzip: true }), /contains "\.\."/);
  });
});

describe('importRootfs: the cache keeps the recent imports only', () => {
  it('prunes imported images like host ones, keeping the one in use and the last few used', async () => {
    const images = [];
    const inputsMade: string[] = [];
    for (let i = 0; i < IMPORTS_KEPT + 3; i++) {
      inputsMade.push(makeTar([...goodSpec(), { name: `./etc/n${i}`, type: 'file', data: `${i}` }]));
      images.push(await importRootfs(inputsMade[i]!, { cacheDir }));
      await new Promise((r) => setTimeout(r, 20)); // distinct mtimes
    }
    const tars = () => readdirSync(cacheDir).filter((n) => n.startsWith('rootfs-import-') && n.endsWith('.tar')).sort();
    const sidecars = () => readdirSync(cacheDir).filter((n) => n.startsWith('rootfs-import-') && n.endsWith('.json')).sort();
    const name = (image: { tarPath: string }) => image.tarPath.slice(cacheDir.length + 1);
    expect(tars()).toEqual(images.slice(-(IMPORTS_KEPT + 1)).map(name).sort());
    expect(sidecars()).toEqual(tars().map((t) => t.replace(/\.tar$/, '.json')));
    // Using the oldest kept one again makes it recent: the next import prunes the one after it.
    const oldestKept = images.length - IMPORTS_KEPT - 1;
    await importRootfs(inputsMade[oldestKept]!, { cacheDir });
    await new Promise((r) => setTimeout(r, 20));
    await importRootfs(makeTar([...goodSpec(), { name: './etc/new', type: 'file', data: 'new' }]), { cacheDir });
    expect(tars()).toContain(name(images[oldestKept]!));
    expect(tars()).not.toContain(name(images[oldestKept + 1]!));
    expect(tars().length).toBe(IMPORTS_KEPT + 1);
  });
});

describe('importRootfs: broken inputs get a clear error and leave nothing', () => {
  it('a missing path', async () => {
    await expectRefused(join(inputs, 'does-not-exist.tar'), /no such file or directory/);
  });

  it('an empty file, and an archive with no entries', async () => {
    const empty = join(inputs, 'empty.tar');
    writeFileSync(empty, '');
    await expectRefused(empty, /the file is empty/);
    const zeros = join(inputs, 'zeros.tar');
    writeFileSync(zeros, Buffer.alloc(10240));
    await expectRefused(zeros, /archive is empty/);
    await expectRefused(makeTar([]), /archive is empty/);
  });

  it('a GNU sparse archive is not called empty: it says what it holds', async () => {
    // GNU tar --sparse writes type 'S' entries, which node-tar does not unpack.
    const dir = join(inputs, `sparse-${++counter}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'big'), '');
    execFileSync('truncate', ['-s', '1M', join(dir, 'big')]);
    writeFileSync(join(dir, 'big'), 'x', { flag: 'a' });
    const input = join(inputs, `sparse-${counter}.tar`);
    execFileSync('tar', ['--sparse', '--format=gnu', '-cf', input, '-C', dir, 'big']);
    rmSync(dir, { recursive: true });
    const e = await expectRefused(input, /holds 1 entry, none of a type nslab extracts \(GNU sparse files/);
    expect(e.message).not.toMatch(/empty/);
  });

  it('random bytes', async () => {
    const junk = join(inputs, 'random.tar');
    const bytes = Buffer.concat(Array.from({ length: 64 }, (_, i) => createHash('sha256').update(`junk${i}`).digest()));
    bytes[0] = 0x41; // not a compression magic by accident
    writeFileSync(junk, bytes);
    await expectRefused(junk, /not a tar archive/);
  });

  it('a truncated archive', async () => {
    const big = 'x'.repeat(20000);
    const full = makeTar([...goodSpec(), { name: 'big', type: 'file', data: big }]);
    const cut = join(inputs, 'truncated.tar');
    const data = readFileSync(full);
    writeFileSync(cut, data.subarray(0, data.length - 10240 - 8000)); // inside big's data
    await expectRefused(cut, /cut short/);
  });

  it('a damaged header in the middle', async () => {
    const full = readFileSync(makeTar([...goodSpec(), { name: 'zz-last', type: 'file', data: 'z' }]));
    // Find the header of "zz-last" and scribble over its name: its checksum no longer matches.
    const at = full.indexOf(Buffer.from('zz-last\0'));
    expect(at % 512).toBe(0);
    full.write('XX', at + 2, 'latin1');
    const damaged = join(inputs, 'damaged.tar');
    writeFileSync(damaged, full);
    await expectRefused(damaged, /damaged tar header after \d+ good entries/);
  });

  it('a corrupt gzip, and a truncated one', async () => {
    const gz = gzipSync(readFileSync(makeTar([...goodSpec(), { name: 'big', type: 'file', data: 'y'.repeat(50000) }])));
    const corrupt = join(inputs, 'corrupt.tar.gz');
    const bad = Buffer.from(gz);
    for (let i = 20; i < 60; i++) bad[i] = bad[i]! ^ 0xa5;
    writeFileSync(corrupt, bad);
    await expectRefused(corrupt, /gzip data is corrupt/);
    const short = join(inputs, 'short.tgz');
    writeFileSync(short, gz.subarray(0, Math.floor(gz.length / 2)));
    await expectRefused(short, /gzip data is corrupt or cut short|cut short/);
  });

  it('an archive without /bin/sh', async () => {
    await expectRefused(makeTar([{ name: 'etc/', type: 'dir' }, { name: 'etc/passwd', type: 'file', data: 'x' }]), /no \/bin\/sh/);
    await expectRefused(makeTar([{ name: 'bin/sh', type: 'sym', target: '/bin/nothing' }]), /no \/bin\/sh/);
    await expectRefused(makeTar([{ name: 'bin/sh', type: 'file', data: 'not executable', mode: 0o644 }]), /not an executable file/);
  });

  it('compression formats it cannot read are named', async () => {
    const xz = join(inputs, 'root.tar.xz');
    writeFileSync(xz, Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(600)]));
    await expectRefused(xz, /xz-compressed/);
  });

  it('a directory that holds the cache itself', async () => {
    const err = await importRootfs(base, { cacheDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NslabError);
    expect((err as Error).message).toMatch(/cache directory .* is inside it/);
    expect(cacheLeftovers()).toEqual([]);
  });

  it('an empty directory', async () => {
    const dir = join(inputs, `emptydir-${++counter}`);
    mkdirSync(dir);
    await expectRefused(dir, /directory is empty/);
  });
});

describe('importRootfs: never touches anything but its work dir (strace-free check)', () => {
  it('a hostile tar does not create files in the current directory either', async () => {
    const cwd = process.cwd();
    const scratch = mkdtempSync(join(tmpdir(), 'nslab-import-cwd-'));
    try {
      process.chdir(scratch);
      await expect(importRootfs(makeTar([{ name: '../../../evil', type: 'file' }]), { cacheDir })).rejects.toBeInstanceOf(NslabError);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      process.chdir(cwd);
      rmSync(scratch, { recursive: true, force: true });
    }
    expect(spawnSync('test', ['-e', join(tmpdir(), 'evil')]).status).not.toBe(0);
  });
});

describe.runIf(process.getuid?.() === 0)('importRootfs: real archives made by GNU tar work in a chroot (as root)', () => {
  let work: string;
  let extracted: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'nslab-import-real-'));
    const host = await ensureHostRootfs({ cacheDir: join(work, 'hostcache') });
    extracted = join(work, 'rootfs');
    mkdirSync(extracted);
    execFileSync('tar', ['-x', '--no-same-owner', '-f', host.tarPath, '-C', extracted]);
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function runInImage(tarPath: string): Promise<string> {
    const root = mkdtempSync(join(work, 'nslab-rootfs-run-'));
    try {
      execFileSync('tar', ['-x', '--no-same-owner', '-f', tarPath, '-C', root]);
      return execFileSync('chroot', [root, '/bin/sh', '-c', 'ls / && id -u && echo ok'], { encoding: 'utf8' });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('a .tgz made with `tar -czf` (./ names, merged-/usr symlinks)', async () => {
    const tgz = join(work, 'root.tgz');
    execFileSync('tar', ['-C', extracted, '-czf', tgz, '.']);
    const image = await importRootfs(tgz, { cacheDir });
    expect(image.description).toContain('gzip-compressed tar');
    expect(await runInImage(image.tarPath)).toMatch(/usr\n[\s\S]*0\nok\n$/);
  });

  it('the same tree as a directory', async () => {
    const image = await importRootfs(extracted, { cacheDir });
    expect(image.description).toContain('(directory)');
    expect(await runInImage(image.tarPath)).toMatch(/ok\n$/);
  });
});
