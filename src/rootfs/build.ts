/**
 * The default container rootfs, built offline from this machine's own binaries.
 *
 * Each tool is copied with every library its dynamic loader lists (and the loader itself) into
 * a merged-/usr tree (bin, sbin, lib, lib64 are symlinks into usr/), plus a minimal /etc, empty
 * mount points, a few terminfo entries for top and less, and the chroot escape demo compiled
 * from assets/escape.c. A machine without iputils ping gets nslab's own (assets/ping.c, compiled
 * the same way), so the veth lab never depends on a package. The paths the tutorials type
 * (/bin/ping, /sbin/ip, /usr/sbin/chroot...) all resolve, whatever directory the machine keeps
 * each tool in. The result is packed into the cache as a sanitized tar; the key covers
 * the tool list and each binary's identity, so a second start reuses it in a few milliseconds.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, delimiter, dirname, join, posix } from 'node:path';
import { promisify } from 'node:util';
import { NslabError } from '../errors.ts';
import { ASSETS_DIR } from '../paths.ts';
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
  type RootfsImage,
} from './cache.ts';
import { readInterpreter } from './elf.ts';
import { HostCopier, toRootfsPath } from './host-copy.ts';

export type { RootfsImage } from './cache.ts';

const run = promisify(execFile);

/** Tools the labs rely on: without one of them the rootfs is not built. */
export const ROOTFS_REQUIRED_TOOLS: readonly string[] = [
  'sh', 'ls', 'cat', 'echo', 'ps', 'mount', 'umount', 'mkdir', 'rmdir', 'touch', 'chroot',
  'pivot_root', 'unshare', 'nsenter', 'hostname', 'ip', 'kill', 'sleep', 'grep', 'readlink', 'id',
];

/**
 * Copied when present. `ping` is missing on a fresh Debian (package iputils-ping): then nslab
 * compiles its own from assets/ping.c.
 */
export const ROOTFS_OPTIONAL_TOOLS: readonly string[] = [
  'ping', 'bash', 'env', 'stat', 'top', 'less', 'pidof', 'pkill', 'pgrep', 'mv', 'cp', 'rm', 'ln', 'head', 'tail', 'wc', 'tr',
  'sed', 'uname', 'df', 'nproc', 'setpriv', 'tree', 'true', 'false', 'test', '[',
  // Handy for the labs: namespaces, mounts, capabilities. (Not ss: its libtirpc pulls in
  // Kerberos, seven libraries and 1.7 MB for one tool; ip covers the network labs.)
  'lsns', 'findmnt', 'mountpoint', 'capsh', 'getpcaps',
  'whoami', 'pwd', 'chmod', 'mknod', 'basename', 'dirname', 'cut', 'sort', 'find', 'du',
  // Terminal basics a student reaches for: `clear`, `stty size`, `tput cols`.
  'stty', 'clear', 'tput',
  // Everyday coreutils for loops and quick experiments.
  'seq', 'date', 'yes', 'xargs', 'od',
];

/** Every tool the host rootfs carries when the machine has it, in this order. */
export const ROOTFS_TOOLS: readonly string[] = [...ROOTFS_REQUIRED_TOOLS, ...ROOTFS_OPTIONAL_TOOLS];

/** Where tools are looked up, in this order (never /usr/local: that is not the distribution's). */
const TOOL_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/** Debian package names, for the hint when a tool is missing. */
const PACKAGE_OF: Readonly<Record<string, string>> = {
  ps: 'procps', kill: 'procps', top: 'procps', pkill: 'procps', pgrep: 'procps', pidof: 'sysvinit-utils', ip: 'iproute2', ping: 'iputils-ping',
  hostname: 'hostname', mount: 'mount', umount: 'mount', grep: 'grep', sh: 'dash', bash: 'bash',
  sed: 'sed', less: 'less', tree: 'tree', find: 'findutils', capsh: 'libcap2-bin', getpcaps: 'libcap2-bin',
  chroot: 'coreutils', pivot_root: 'util-linux', unshare: 'util-linux', nsenter: 'util-linux',
  setpriv: 'util-linux', lsns: 'util-linux', findmnt: 'util-linux', mountpoint: 'util-linux',
};

/** Terminal descriptions for top and less (xterm-256color is what the panes announce). */
const TERMINFO_NAMES = ['xterm-256color', 'xterm', 'xterm-color', 'screen-256color', 'screen', 'tmux-256color', 'tmux', 'linux', 'vt100', 'vt220', 'dumb'];
const TERMINFO_DIRS = ['/etc/terminfo', '/lib/terminfo', '/usr/lib/terminfo', '/usr/share/terminfo'];

/** A program nslab compiles into the rootfs from assets/ (they depend only on the C library). */
interface Asset {
  source: string;
  /** Where it goes in the rootfs. */
  dest: string;
  /** Extra arguments after the source file (libraries). */
  link: string[];
}
const ESCAPE: Asset = { source: join(ASSETS_DIR, 'escape.c'), dest: 'usr/local/bin/escape', link: [] };
/**
 * nslab's ping, used only when the machine has none. It lives under libexec/nslab (the lab world
 * copies it from there into the lab host's PATH, see assets/world/level1.sh), and /usr/bin/ping
 * links to it so that the tutorial's `/bin/ping` works in the container.
 */
const PING: Asset = { source: join(ASSETS_DIR, 'ping.c'), dest: 'usr/libexec/nslab/ping', link: ['-lm'] };

/**
 * Absolute paths the tutorials type in the container (seeds 001, 002, 004), by tool. Each must
 * resolve in the rootfs when the tool is there: a machine that keeps `ip` in /usr/bin only, or
 * chroot in /usr/bin, still gets /sbin/ip and /usr/sbin/chroot.
 */
export const SEED_PATHS: Readonly<Record<string, readonly string[]>> = {
  ls: ['/bin/ls'], ps: ['/bin/ps'], mount: ['/bin/mount'], umount: ['/bin/umount'], ip: ['/sbin/ip'],
  ping: ['/bin/ping'], chroot: ['/usr/sbin/chroot'], sh: ['/bin/sh'], bash: ['/bin/bash'],
  hostname: ['/bin/hostname'],
};

const ETC_FILES: ReadonlyArray<[string, string]> = [
  // nobody/nogroup (65534) is the kernel's overflow id: unmapped owners in a user namespace
  // show up as 65534, and with these lines `ls -l` says "nobody nogroup" as on a real system.
  ['etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'],
  ['etc/group', 'root:x:0:\nnogroup:x:65534:\n'],
  ['etc/nsswitch.conf', 'passwd: files\ngroup: files\nhosts: files\n'],
  ['etc/hosts', '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'],
  ['etc/os-release', 'NAME="nslab"\nID=nslab\nPRETTY_NAME="nslab container rootfs (copied from the host\'s own binaries)"\n'],
];

interface FoundTool {
  name: string;
  /** Where we found it, e.g. /usr/bin/sh. */
  path: string;
  /** After all symlinks, e.g. /usr/bin/dash. */
  real: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

interface Plan {
  found: FoundTool[];
  missing: string[];
  cc: string | undefined;
  /** Whether nslab builds its own ping (the machine has none). */
  ownPing: boolean;
  key: string;
}

export interface HostRootfsOptions {
  cacheDir?: string;
  /**
   * Tools of this machine to leave out as if they were not installed (tests and CI use
   * `['ping']` to build the rootfs of a machine without iputils ping on one that has it).
   */
  without?: readonly string[];
}

function isExecutableFile(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function findTool(name: string): FoundTool | undefined {
  for (const dir of TOOL_DIRS) {
    const path = join(dir, name);
    if (!isExecutableFile(path)) continue;
    const real = realpathSync(path);
    const st = statSync(real);
    return { name, path, real, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  }
  return undefined;
}

function findOnPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (dir && isExecutableFile(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

function identity(path: string | undefined): string {
  if (!path) return 'none';
  try {
    const real = realpathSync(path);
    const st = statSync(real);
    return `${real}:${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return 'none';
  }
}

function assetSource(asset: Asset): string {
  return existsSync(asset.source) ? readFileSync(asset.source, 'utf8') : '(missing)';
}

function planHostRootfs(without: readonly string[] = []): Plan {
  const found: FoundTool[] = [];
  const missing: string[] = [];
  for (const name of ROOTFS_TOOLS) {
    const tool = without.includes(name) ? undefined : findTool(name);
    if (tool) found.push(tool);
    else missing.push(name);
  }
  const cc = findOnPath('cc');
  const ownPing = missing.includes('ping');
  const hash = createHash('sha256');
  hash.update(JSON.stringify({
    what: 'nslab host rootfs',
    format: CACHE_FORMAT,
    arch: process.arch,
    tools: ROOTFS_TOOLS,
    found: found.map((t) => [t.name, t.path, t.real, t.size, t.mtimeMs, t.ino]),
    // The compiled programs depend on their sources and on whether they can be compiled here.
    cc: identity(cc),
    stdio: identity('/usr/include/stdio.h'),
    seedPaths: SEED_PATHS,
    ownPing,
  }));
  for (const asset of ownPing ? [ESCAPE, PING] : [ESCAPE]) {
    hash.update(`\0${basename(asset.source)}\0`);
    hash.update(assetSource(asset));
  }
  return { found, missing, cc, ownPing, key: hash.digest('hex') };
}

function missingRequiredError(names: string[]): NslabError {
  const packages = [...new Set(names.map((n) => PACKAGE_OF[n] ?? 'coreutils'))];
  return new NslabError(
    `Cannot build the container rootfs: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} not installed on this machine.`,
    `Install ${packages.join(' ')} (Debian/Ubuntu: sudo apt install ${packages.join(' ')}), or give nslab a rootfs with --rootfs PATH.`,
  );
}

/**
 * Lists the libraries each binary needs, by asking its own dynamic loader (`ld.so --list`, what
 * ldd does) from one shell loop per loader. Static binaries and scripts need none.
 */
export async function listLibraries(binaries: readonly string[]): Promise<Map<string, { libs: string[]; notFound: string[] }>> {
  const result = new Map<string, { libs: string[]; notFound: string[] }>();
  const byLoader = new Map<string, string[]>();
  for (const bin of binaries) {
    result.set(bin, { libs: [], notFound: [] });
    const interp = readInterpreter(bin);
    if (!interp) continue;
    byLoader.set(interp, [...(byLoader.get(interp) ?? []), bin]);
  }
  const script = 'i=$1; shift; for f; do printf "@@ %s\\n" "$f"; "$i" --list "$f" 2>&1; printf "@@rc %s\\n" $?; done; exit 0';
  // One shell per loader and core: each loader run takes ~2 ms, and there are ~60 of them.
  const jobs: Array<[string, string[]]> = [];
  const lanes = Math.max(1, Math.min(4, availableParallelism()));
  for (const [loader, files] of byLoader) {
    const per = Math.ceil(files.length / lanes);
    for (let i = 0; i < files.length; i += per) jobs.push([loader, files.slice(i, i + per)]);
  }
  await Promise.all(
    jobs.map(async ([loader, files]) => {
      if (!existsSync(loader)) {
        throw new NslabError(`Cannot build the container rootfs: the dynamic loader ${loader} (needed by ${files[0]}) does not exist.`);
      }
      const { stdout } = await run('/bin/sh', ['-c', script, 'nslab-ldd', loader, ...files], { maxBuffer: 16 << 20 });
      let cur: { libs: string[]; notFound: string[] } | undefined;
      for (const line of stdout.split('\n')) {
        if (line.startsWith('@@ ')) {
          cur = result.get(line.slice(3));
          cur?.libs.push(loader);
          continue;
        }
        if (line.startsWith('@@rc ')) {
          if (cur && line !== '@@rc 0') cur.notFound.push(`(${loader} --list exited with status ${line.slice(5)})`);
          cur = undefined;
          continue;
        }
        if (!cur) continue;
        const arrow = /^\s*(\S+) => (\/\S+) \(0x[0-9a-f]+\)/.exec(line);
        const direct = /^\s*(\/\S+) \(0x[0-9a-f]+\)/.exec(line);
        const missing = /^\s*(\S+) => not found/.exec(line);
        if (arrow) cur.libs.push(arrow[2]!);
        else if (direct) cur.libs.push(direct[1]!);
        else if (missing) cur.notFound.push(missing[1]!);
      }
    }),
  );
  for (const entry of result.values()) entry.libs = [...new Set(entry.libs)];
  return result;
}

type Compiled = { ok: true } | { ok: false; reason: string };

async function compileAsset(tree: string, plan: Plan, asset: Asset): Promise<Compiled> {
  if (!existsSync(asset.source)) return { ok: false, reason: `its source ${asset.source} is missing` };
  if (!plan.cc) return { ok: false, reason: 'there is no C compiler (cc) on this machine' };
  const out = join(tree, asset.dest);
  await mkdir(dirname(out), { recursive: true, mode: 0o755 });
  try {
    await run(plan.cc, ['-O2', '-o', out, asset.source, ...asset.link], { timeout: 60_000 });
    await chmod(out, 0o755);
    return { ok: true };
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    return { ok: false, reason: `cc failed: ${stderr || (err as Error).message}` };
  }
}

async function writeSkeleton(tree: string): Promise<void> {
  // var, run and home as on any distribution: seed 004 mounts its volume on /var/gojek.
  for (const dir of ['usr/bin', 'usr/sbin', 'usr/lib', 'usr/local/bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'mnt', 'var', 'run', 'home']) {
    await mkdir(join(tree, dir), { recursive: true, mode: 0o755 });
  }
  await chmod(join(tree, 'tmp'), 0o1777); // mkdir's mode is filtered by the umask; chmod is not
  await chmod(join(tree, 'root'), 0o700);
  for (const [path, text] of ETC_FILES) await writeFile(join(tree, path), text, { mode: 0o644, flag: 'wx' });
}

async function buildHostRootfs(cacheDir: string, plan: Plan): Promise<RootfsImage> {
  const tree = await makeWorkTree(cacheDir);
  try {
    await writeSkeleton(tree);
    const [libraries, escape, ownPing] = await Promise.all([
      listLibraries(plan.found.map((t) => t.path)),
      compileAsset(tree, plan, ESCAPE),
      plan.ownPing ? compileAsset(tree, plan, PING) : Promise.resolve<Compiled>({ ok: false, reason: 'not needed' }),
    ]);

    const copier = new HostCopier(tree);
    const tools: FoundTool[] = [];
    const unusable: string[] = [];
    const libFiles = new Set<string>();
    for (const tool of plan.found) {
      const deps = libraries.get(tool.path)!;
      if (deps.notFound.length) {
        // The machine's own copy cannot run either; leave it out and say why.
        unusable.push(`${tool.name} (needs ${deps.notFound.join(', ')})`);
        continue;
      }
      copier.add(tool.path);
      for (const lib of deps.libs) libFiles.add(copier.add(lib));
      tools.push(tool);
    }
    const unusableRequired = unusable.filter((u) => ROOTFS_REQUIRED_TOOLS.includes(u.split(' ')[0]!));
    if (unusableRequired.length) {
      throw new NslabError(
        `Cannot build the container rootfs: ${unusableRequired.join('; ')}: libraries missing on this machine.`,
        'Reinstall the packages that provide these tools.',
      );
    }
    const compiled = [...(escape.ok ? [ESCAPE] : []), ...(ownPing.ok ? [PING] : [])].map((a) => join(tree, a.dest));
    for (const deps of (await listLibraries(compiled)).values()) {
      for (const lib of deps.libs) libFiles.add(copier.add(lib));
    }
    if (ownPing.ok) copier.link('usr/bin/ping', `../libexec/nslab/${basename(PING.dest)}`);
    const present = new Map(tools.map((t) => [t.name, t]));
    if (ownPing.ok) present.set('ping', { name: 'ping', path: '/usr/bin/ping', real: PING.dest, size: 0, mtimeMs: 0, ino: 0 });
    addSeedPaths(copier, present);
    let terminfo = 0;
    for (const name of TERMINFO_NAMES) {
      const dir = TERMINFO_DIRS.find((d) => existsSync(join(d, name[0]!, name)));
      if (!dir) continue;
      copier.add(join(dir, name[0]!, name));
      terminfo++;
    }
    await copier.write();

    // Merged /usr: the top-level names are links into usr/ (the dynamic loader is found as
    // /lib64/ld-linux-x86-64.so.2 on x86-64, so lib64 must exist wherever usr/lib64 does).
    for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
      if (existsSync(join(tree, 'usr', top))) await symlink(`usr/${top}`, join(tree, top));
    }

    const systemPing = tools.some((t) => t.name === 'ping');
    const otherMissing = plan.missing.filter((n) => n !== 'ping');
    const describe = (bytes: number): string => {
      const parts = [
        `Built from this machine's own binaries: ${tools.length} tools, ${libFiles.size} libraries, ${formatMB(bytes)} (merged /usr; /bin/sh is ${basename(tools.find((t) => t.name === 'sh')!.real)}).`,
      ];
      if (systemPing) parts.push(`ping: this machine's ${tools.find((t) => t.name === 'ping')!.path}.`);
      else if (ownPing.ok) parts.push(`ping: nslab's own (${PING_DESCRIPTION}), as this machine has no iputils ping.`);
      else parts.push(`No ping: this machine has no iputils ping, and nslab's own could not be built (${ownPing.reason}).`);
      if (otherMissing.length) parts.push(`Not on this machine, left out: ${otherMissing.join(', ')}.`);
      if (unusable.length) parts.push(`Left out because their libraries are missing: ${unusable.join(', ')}.`);
      parts.push(
        escape.ok
          ? 'Chroot escape demo: /usr/local/bin/escape.'
          : `No chroot escape demo (/usr/local/bin/escape): ${escape.reason}.`,
      );
      if (terminfo === 0) parts.push('No terminfo entries found: top and less may not work.');
      return parts.join(' ');
    };
    const image = await commitImage(tree, cacheDir, 'host', plan.key, describe, {
      mtime: new Date(copier.newestMtimeMs || Date.now()),
    });
    await pruneImages(cacheDir, 'host', plan.key);
    return image;
  } finally {
    await removeWorkTree(tree);
  }
}

/** What `ping -V` of nslab's own ping says it is, for descriptions and `nslab doctor`. */
export const PING_DESCRIPTION = 'assets/ping.c, an ICMP echo client that prints like iputils';

/**
 * Makes each of SEED_PATHS resolve in the tree: the machine's own path when it has one (copied
 * with its links), else a relative link to where the tool was found.
 */
function addSeedPaths(copier: HostCopier, tools: ReadonlyMap<string, FoundTool>): void {
  for (const [name, paths] of Object.entries(SEED_PATHS)) {
    const tool = tools.get(name);
    if (!tool) continue;
    for (const path of paths) {
      const dest = toRootfsPath(path);
      if (copier.has(dest)) continue;
      if (existsSync(path) && realpathSync(path) === tool.real) {
        copier.add(path);
        continue;
      }
      const target = toRootfsPath(tool.path);
      if (target !== dest) copier.link(dest, posix.relative(posix.dirname(dest), target));
    }
  }
}

const inFlight = new Map<string, Promise<RootfsImage>>();

/**
 * The host rootfs image: from the cache when this machine's tools are unchanged, else built
 * (about 0.2-0.3 s). Throws NslabError when a required tool is missing.
 */
export async function ensureHostRootfs(opts: HostRootfsOptions = {}): Promise<RootfsImage> {
  const plan = planHostRootfs(opts.without);
  const missingRequired = plan.missing.filter((n) => ROOTFS_REQUIRED_TOOLS.includes(n));
  if (missingRequired.length) throw missingRequiredError(missingRequired);
  const cacheDir = await prepareCacheDir(opts.cacheDir ?? defaultCacheDir());
  const cached = await readCached(cacheDir, 'host', plan.key);
  if (cached) return cached;

  const flightKey = `${cacheDir}\0${plan.key}`;
  let flight = inFlight.get(flightKey);
  if (!flight) {
    flight = buildHostRootfs(cacheDir, plan).finally(() => inFlight.delete(flightKey));
    inFlight.set(flightKey, flight);
  }
  try {
    return await flight;
  } catch (err) {
    if (err instanceof NslabError) throw err;
    throw new NslabError(
      `Cannot build the container rootfs in ${cacheDir}: ${(err as Error).message}`,
      'Check that the cache directory is writable and has ~20 MB free, or set XDG_CACHE_HOME.',
    );
  }
}
