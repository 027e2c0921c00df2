/**
 * The rootfs cache: sanitized tar files under the XDG cache dir, one per key, each with a small
 * JSON sidecar that keeps the description. A tar file appears only complete: it is written to a
 * temp name in the same directory, fsynced, and renamed; a crash leaves at most a temp file or a
 * `nslab-rootfs-*` work tree, which the next run removes once it is an hour old.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { PrivateDir, type DirPurpose } from '../private-dir.ts';
import type { PackOptions } from './tar-writer.ts';

export interface RootfsImage {
  /** A sanitized tar file: stream it into `tar -x --no-same-owner` inside the lab. */
  tarPath: string;
  /** sha256 (hex) of what the image was built from. */
  key: string;
  source: 'host' | 'import';
  /** One paragraph for the student: what is in it, what is missing and why. */
  description: string;
  /** Size of the tar file. */
  bytes: number;
}

export type ImageKind = 'host' | 'import';

/** Bump when the layout of what we build changes, so old cache entries are not reused. */
export const CACHE_FORMAT = 2;

const STALE_MS = 60 * 60 * 1000;

interface ImageMeta {
  format: number;
  key: string;
  source: ImageKind;
  description: string;
  bytes: number;
}

/** `$XDG_CACHE_HOME/nslab`, or `~/.cache/nslab` (a relative XDG_CACHE_HOME is ignored, per the spec). */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'nslab');
  return join(homedir(), '.cache', 'nslab');
}

/** What the cache dir is for: nslab builds and runs the container image from it, so another user able to swap files there could choose what runs. */
const CACHE_DIR: DirPurpose = { name: 'cache', variable: 'XDG_CACHE_HOME', why: 'nslab only keeps its container image in a directory of your own' };

/**
 * Creates the cache dir (0700) and removes work trees and temp files left by a crashed run.
 * An existing dir must be the user's own and writable by no one else (src/private-dir.ts).
 */
export async function prepareCacheDir(dir: string = defaultCacheDir()): Promise<string> {
  PrivateDir.open(dir, CACHE_DIR).close();
  await removeStale(dir);
  return dir;
}

async function removeStale(dir: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith('nslab-rootfs-') && !(name.startsWith('.nslab-rootfs-') && name.endsWith('.tmp'))) continue;
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (st && now - st.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true }).catch(() => {});
  }
}

export function imagePaths(cacheDir: string, kind: ImageKind, key: string): { tar: string; meta: string } {
  const base = join(cacheDir, `rootfs-${kind}-${key.slice(0, 16)}`);
  return { tar: `${base}.tar`, meta: `${base}.json` };
}

/** The cached image for `key`, if its tar and sidecar are both there and agree. */
export async function readCached(cacheDir: string, kind: ImageKind, key: string): Promise<RootfsImage | undefined> {
  const paths = imagePaths(cacheDir, kind, key);
  try {
    const meta = JSON.parse(await readFile(paths.meta, 'utf8')) as Partial<ImageMeta>;
    const st = await stat(paths.tar);
    if (meta.format !== CACHE_FORMAT || meta.key !== key || meta.bytes !== st.size || typeof meta.description !== 'string') {
      return undefined;
    }
    return { tarPath: paths.tar, key, source: kind, description: meta.description, bytes: st.size };
  } catch {
    return undefined;
  }
}

/** A fresh, private (0700) work dir `nslab-rootfs-XXXXXX` inside the cache dir. */
export async function makeWorkTree(cacheDir: string): Promise<string> {
  return mkdtemp(join(cacheDir, 'nslab-rootfs-'));
}

export async function removeWorkTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 2 });
}

/**
 * Packs `tree` into the cache under `key`: temp file, fsync, sidecar, atomic rename. On any
 * failure nothing is left behind.
 */
export async function commitImage(
  tree: string,
  cacheDir: string,
  kind: ImageKind,
  key: string,
  describe: (bytes: number) => string,
  pack: PackOptions = {},
): Promise<RootfsImage> {
  const paths = imagePaths(cacheDir, kind, key);
  const tmpBase = join(cacheDir, `.nslab-rootfs-${kind}-${key.slice(0, 16)}.${process.pid}.${randomBytes(4).toString('hex')}`);
  const tmpTar = `${tmpBase}.tar.tmp`;
  const tmpMeta = `${tmpBase}.json.tmp`;
  try {
    // Loaded here, not with the cache: only a build packs, and node-tar is a tenth of what
    // every start would load before its lab world can start.
    const { packTree } = await import('./tar-writer.ts');
    const { bytes } = await packTree(tree, tmpTar, pack);
    const description = describe(bytes);
    const meta: ImageMeta = { format: CACHE_FORMAT, key, source: kind, description, bytes };
    await writeFile(tmpMeta, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
    await rename(tmpMeta, paths.meta);
    await rename(tmpTar, paths.tar);
    return { tarPath: paths.tar, key, source: kind, description, bytes };
  } catch (err) {
    await rm(tmpTar, { force: true }).catch(() => {});
    await rm(tmpMeta, { force: true }).catch(() => {});
    throw err;
  }
}

/**
 * Removes cached images of `kind` other than `keep`, but for the `recent` most recently used
 * others (host images go stale after every upgrade: none kept; imported ones are the user's
 * choice, so the last few stay and switching between two costs no re-import).
 */
export async function pruneImages(cacheDir: string, kind: ImageKind, keep: string, recent = 0): Promise<void> {
  const keepBase = `rootfs-${kind}-${keep.slice(0, 16)}.`;
  const others: { base: string; used: number }[] = [];
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    if (!name.startsWith(`rootfs-${kind}-`) || name.startsWith(keepBase) || !name.endsWith('.tar')) continue;
    const base = name.slice(0, -'.tar'.length);
    const used = (await stat(join(cacheDir, `${base}.json`)).catch(() => null))?.mtimeMs ?? 0;
    others.push({ base, used });
  }
  // Sidecars without their tar (a crash between the two renames) go too.
  for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
    if (name.startsWith(`rootfs-${kind}-`) && name.endsWith('.json') && !name.startsWith(keepBase) && !others.some((o) => `${o.base}.json` === name)) {
      await rm(join(cacheDir, name), { force: true }).catch(() => {});
    }
  }
  others.sort((a, b) => b.used - a.used);
  for (const { base } of others.slice(recent)) {
    for (const ext of ['.tar', '.json']) await rm(join(cacheDir, base + ext), { force: true }).catch(() => {});
  }
}

/**
 * Marks a cached image as just used (its sidecar's mtime; the tar itself stays untouched), so
 * pruning keeps it among the recent ones.
 */
export async function touchImage(image: RootfsImage): Promise<void> {
  const now = new Date();
  await utimes(image.tarPath.replace(/\.tar$/, '.json'), now, now).catch(() => {});
}

/** Human-readable size: "14.2 MB" (10^6 bytes, like df -H and most download pages). */
export function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
