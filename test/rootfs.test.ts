/**
 * The host rootfs: built from this machine's binaries, cached, and actually usable (extracted
 * with GNU tar and entered with chroot, as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { list } from 'tar';
import { ROOTFS_REQUIRED_TOOLS, ROOTFS_TOOLS, SEED_PATHS, ensureHostRootfs } from '../src/rootfs/build.ts';
import { defaultCacheDir, type RootfsImage } from '../src/rootfs/cache.ts';
import { readInterpreter } from '../src/rootfs/elf.ts';

interface Entry {
  type: string;
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
  linkpath?: string;
}

async function listTar(file: string): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>();
  await list({
    file,
    onReadEntry: (e) => {
      entries.set(e.path.replace(/\/$/, ''), { type: e.type, mode: e.mode ?? 0, uid: e.uid, gid: e.gid, linkpath: e.linkpath });
    },
  });
  return entries;
}

/** Resolves `path` inside the archive listing as the kernel would inside the container. */
function resolveIn(entries: Map<string, Entry>, path: string): { path: string; entry: Entry } | undefined {
  const todo = path.split('/').filter((p) => p && p !== '.');
  const done: string[] = [];
  for (let hops = 0; todo.length; ) {
    const part = todo.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const rel = [...done, part].join('/');
    const e = entries.get(rel);
    if (!e) return undefined;
    if (e.type === 'SymbolicLink') {
      if (++hops > 40) return undefined;
      if (e.linkpath!.startsWith('/')) done.length = 0;
      todo.unshift(...e.linkpath!.split('/').filter((p) => p && p !== '.'));
      continue;
    }
    done.push(part);
  }
  const rel = done.join('/');
  const entry = entries.get(rel);
  return entry ? { path: rel, entry } : undefined;
}

const TOOL_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];
function hostTool(name: string): string | undefined {
  for (const dir of TOOL_DIRS) {
    const p = join(dir, name);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** What the real `ldd` says a host binary needs (independent of the implementation). */
function lddPaths(binary: string): string[] {
  const out = spawnSync('ldd', [binary], { encoding: 'utf8' }).stdout;
  const paths: string[] = [];
  for (const line of out.split('\n')) {
    const m = /=> (\/\S+) \(/.exec(line) ?? /^\s*(\/\S+) \(/.exec(line);
    if (m) paths.push(m[1]!);
  }
  return paths;
}

const isRoot = process.getuid?.() === 0;
const hasCc = spawnSync('sh', ['-c', 'command -v cc'], { encoding: 'utf8' }).status === 0;

let cacheDir: string;
let image: RootfsImage;
let coldMs: number;
let entries: Map<string, Entry>;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'nslab-test-cache-'));
  const t0 = performance.now();
  image = await ensureHostRootfs({ cacheDir });
  coldMs = performance.now() - t0;
  entries = await listTar(image.tarPath);
});

afterAll(() => {
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

describe('host rootfs build', () => {
  it('returns an image in the given cache dir, named by its key', () => {
    expect(image.source).toBe('host');
    expect(image.key).toMatch(/^[0-9a-f]{64}$/);
    expect(image.tarPath).toBe(join(cacheDir, `rootfs-host-${image.key.slice(0, 16)}.tar`));
    expect(statSync(image.tarPath).size).toBe(image.bytes);
    console.log(`[rootfs] cold build ${coldMs.toFixed(0)} ms, ${(image.bytes / 1e6).toFixed(1)} MB, ${entries.size} entries`);
    console.log(`[rootfs] ${image.description}`);
  });

  it('contains every required tool, and each optional tool the machine has', () => {
    for (const tool of ROOTFS_TOOLS) {
      const host = hostTool(tool);
      if (!host) {
        expect(ROOTFS_REQUIRED_TOOLS, `required tool ${tool} is missing on this machine`).not.toContain(tool);
        expect(image.description).toMatch(tool === 'ping' ? /ping: nslab's own|No ping/ : new RegExp(`left out: .*${tool}`));
        continue;
      }
      const found = resolveIn(entries, host);
      expect(found, `${tool} (${host}) is not in the rootfs`).toBeDefined();
      expect(found!.entry.type).toBe('File');
      expect(found!.entry.mode & 0o111).not.toBe(0);
    }
  });

  it('contains every library each tool needs, and the dynamic loader', () => {
    const libs = new Set<string>();
    for (const tool of ROOTFS_TOOLS) {
      const host = hostTool(tool);
      if (!host) continue;
      for (const lib of lddPaths(host)) {
        libs.add(lib);
        const found = resolveIn(entries, lib);
        expect(found, `${lib} (needed by ${tool}) is not in the rootfs`).toBeDefined();
        expect(found!.entry.type).toBe('File');
      }
    }
    const interp = readInterpreter(realpathSync('/bin/sh'));
    expect(interp).toBeDefined();
    expect(resolveIn(entries, interp!)?.entry.type).toBe('File');
    console.log(`[rootfs] ${libs.size} distinct library paths checked`);
  });

  it('has a merged-/usr layout, a minimal /etc and the empty mount points', () => {
    for (const top of ['bin', 'sbin', 'lib']) {
      expect(entries.get(top)).toMatchObject({ type: 'SymbolicLink', linkpath: `usr/${top}` });
    }
    if (existsSync('/lib64')) expect(entries.get('lib64')).toMatchObject({ type: 'SymbolicLink', linkpath: 'usr/lib64' });
    for (const dir of ['proc', 'sys', 'dev', 'tmp', 'root', 'mnt', 'etc', 'usr/local/bin']) {
      expect(entries.get(dir)?.type, dir).toBe('Directory');
    }
    expect(entries.get('tmp')!.mode).toBe(0o1777);
    expect(entries.get('root')!.mode).toBe(0o700);
    expect(entries.has('old_root')).toBe(false);
    expect(entries.has('etc/hostname')).toBe(false);
    expect(entries.get('etc/passwd')?.type).toBe('File');
    expect(entries.get('etc/group')?.type).toBe('File');
    for (const [path, e] of entries) {
      expect(e.uid ?? 0, path).toBe(0);
      expect(e.gid ?? 0, path).toBe(0);
      expect(e.mode & 0o6000, `${path} is setuid/setgid`).toBe(0);
    }
  });

  it('lists directories before their contents, in sorted order', () => {
    const names = [...entries.keys()];
    const seen = new Set<string>();
    for (const name of names) {
      const parent = posix.dirname(name);
      if (parent !== '.') expect(seen.has(parent), `${name} comes before ${parent}`).toBe(true);
      seen.add(name);
    }
    for (let i = 1; i < names.length; i++) {
      const a = names[i - 1]!;
      const b = names[i]!;
      if (posix.dirname(a) === posix.dirname(b)) expect(a < b, `${a} before ${b}`).toBe(true);
    }
  });

  it('every path the tutorials type resolves to its tool (/sbin/ip, /usr/sbin/chroot, /bin/ping...)', () => {
    for (const [tool, paths] of Object.entries(SEED_PATHS)) {
      const host = hostTool(tool);
      const inTree = host ? resolveIn(entries, host) : tool === 'ping' ? resolveIn(entries, '/usr/bin/ping') : undefined;
      for (const path of paths) {
        if (!inTree) {
          expect(resolveIn(entries, path), `${path}: ${tool} is not in the rootfs`).toBeUndefined();
          continue;
        }
        expect(resolveIn(entries, path)?.path, path).toBe(inTree.path);
      }
    }
    for (const tool of ['top', 'pkill', 'pidof', 'findmnt', 'hostname', 'sh']) {
      if (hostTool(tool)) expect(resolveIn(entries, `/usr/bin/${tool}`)?.entry.type, tool).toBe('File');
    }
  });

  it.runIf(hasCc)('without a ping on the machine, /bin/ping is nslab\'s own, compiled from assets/ping.c', async () => {
    // Its own cache dir: a build prunes the other host images of its cache.
    const other = mkdtempSync(join(tmpdir(), 'nslab-test-cache-'));
    const own = await ensureHostRootfs({ cacheDir: other, without: ['ping'] });
    const ownEntries = await listTar(own.tarPath);
    rmSync(other, { recursive: true, force: true });
    expect(resolveIn(ownEntries, '/bin/ping')?.path).toBe('usr/libexec/nslab/ping');
    expect(ownEntries.get('usr/bin/ping')).toMatchObject({ type: 'SymbolicLink', linkpath: '../libexec/nslab/ping' });
    expect(own.description).toContain("ping: nslab's own (assets/ping.c");
    if (hostTool('ping')) {
      // The machine's ping wins when there is one, and nslab's is then not built at all.
      expect(resolveIn(entries, '/bin/ping')?.path).not.toBe('usr/libexec/nslab/ping');
      expect(entries.has('usr/libexec/nslab/ping')).toBe(false);
    }
  });

  it.runIf(hasCc)('carries the compiled chroot escape demo', () => {
    expect(entries.get('usr/local/bin/escape')?.type).toBe('File');
    expect(image.description).toContain('/usr/local/bin/escape');
  });

  it('takes the cache on a second call: same key, same file, not rewritten', async () => {
    const before = statSync(image.tarPath);
    const again = await ensureHostRootfs({ cacheDir });
    expect(again).toEqual(image);
    const after = statSync(again.tarPath);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  it('builds the same bytes twice (deterministic), and leaves no temp files', async () => {
    const other = mkdtempSync(join(tmpdir(), 'nslab-test-cache-'));
    try {
      const second = await ensureHostRootfs({ cacheDir: other });
      expect(second.key).toBe(image.key);
      const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
      expect(sha(second.tarPath)).toBe(sha(image.tarPath));
      const left = execFileSync('ls', ['-A', other], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
      expect(left).toEqual([basename(second.tarPath).replace(/\.tar$/, '.json'), basename(second.tarPath)].sort());
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe.runIf(isRoot)('host rootfs in use (chroot, as root)', () => {
  let dir: string;
  let root: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nslab-test-chroot-'));
    root = join(dir, 'root');
    execFileSync('mkdir', [root]);
    execFileSync('tar', ['-x', '--no-same-owner', '-f', image.tarPath, '-C', root]);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a shell with ls and id', () => {
    const out = execFileSync('chroot', [root, '/bin/sh', '-c', 'ls / && id && echo ok'], { encoding: 'utf8' });
    expect(out).toContain('usr');
    expect(out).toContain('uid=0(root) gid=0(root)');
    expect(out.trim().endsWith('ok')).toBe(true);
    expect(statSync(join(root, 'tmp')).mode & 0o7777).toBe(0o1777);
  });

  it('can load every tool: no library is "not found" inside the root', () => {
    const interp = readInterpreter(join(root, 'usr/bin/sh'))!;
    for (const tool of ROOTFS_TOOLS) {
      const host = hostTool(tool);
      if (!host) continue;
      const res = spawnSync('chroot', [root, interp, '--list', host.replace(/^\/(s?bin)\//, '/usr/$1/')], { encoding: 'utf8' });
      expect(res.status, `${tool}: ${res.stdout}${res.stderr}`).toBe(0);
      expect(res.stdout, tool).not.toContain('not found');
    }
  });

  it('runs a few tools for real', () => {
    const script = 'echo hi | grep -c hi && readlink /bin && uname -s && bash -c "echo \\$BASH_VERSION" >/dev/null && nproc && stat -c %a /tmp';
    const out = execFileSync('chroot', [root, '/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(out).toContain('usr/bin');
    expect(out).toContain('Linux');
    expect(out).toContain('1777');
  });

  it('ps and top work on a fresh /proc of their own (unshare -mpf + chroot)', () => {
    const script = 'mount -t proc proc /proc && ps -e && TERM=xterm-256color top -b -n 1 | head -1 && umount /proc';
    const out = execFileSync('unshare', ['--mount', '--pid', '--fork', 'chroot', root, '/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(out).toMatch(/PID TTY/);
    expect(out).toMatch(/^\s+1 \?\s+\S+ sh$/m);
    expect(out).toMatch(/^top - /m);
  });

  it.runIf(hasCc)('escape leaves the chroot (as root), and names the failing call when it cannot', () => {
    const marker = join(dir, `marker-${process.pid}`);
    execFileSync('touch', [marker]);
    const res = spawnSync('chroot', [root, '/usr/local/bin/escape', '/bin/sh', '-c', `test -e ${marker} && echo escaped`], {
      encoding: 'utf8',
    });
    expect(res.stderr).toContain('escape: chroot("nslab-escape")');
    expect(res.stderr).toContain('escape: chroot(".")');
    expect(res.stdout.trim()).toBe('escaped');
    // As nobody there is no CAP_SYS_CHROOT: the error names the call and the errno.
    const denied = spawnSync('chroot', ['--userspec=65534:65534', root, '/bin/sh', '-c', 'cd /tmp && /usr/local/bin/escape'], {
      encoding: 'utf8',
    });
    expect(denied.status).toBe(1);
    expect(denied.stderr).toContain('escape: chroot("nslab-escape") failed: EPERM (Operation not permitted)');
  });
});

describe('defaultCacheDir', () => {
  it('follows XDG_CACHE_HOME, else ~/.cache', () => {
    const saved = process.env.XDG_CACHE_HOME;
    try {
      process.env.XDG_CACHE_HOME = '/some/where';
      expect(defaultCacheDir()).toBe('/some/where/nslab');
      process.env.XDG_CACHE_HOME = 'relative/ignored';
      expect(defaultCacheDir()).toMatch(/\/\.cache\/nslab$/);
      delete process.env.XDG_CACHE_HOME;
      expect(dirname(defaultCacheDir())).toMatch(/\/\.cache$/);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});

describe('cache directory ownership', () => {
  it('refuses a cache directory that others can write or that is not the user\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-cache-perm-'));
    try {
      const shared = join(dir, 'shared');
      execFileSync('install', ['-d', '-m', '1777', shared]);
      await expect(ensureHostRootfs({ cacheDir: shared })).rejects.toThrow(/only keeps its container image in a directory of your own/);
      const foreign = join(dir, 'foreign');
      execFileSync('install', ['-d', '-m', '0700', '-o', '65534', foreign]);
      if (process.getuid!() === 0) await expect(ensureHostRootfs({ cacheDir: foreign })).rejects.toThrow(/owned by uid 65534/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
