/**
 * Bundles nslab's own code (src/, components/, native/) into dist/ with esbuild, when a source
 * is newer than the bundle. Packages stay in node_modules (`packages: 'external'`), and the UI
 * is a separate chunk so Ink is only loaded when the screen is needed.
 *
 * Why: loading ~50 TypeScript modules through a loader at every start cost about half a
 * second; the bundle loads in milliseconds. Lab files are not bundled: they are data that
 * instructors edit, loaded at run time (src/labs/catalog.ts).
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const ENTRY = join(ROOT, 'dist', 'cli.js');
const SOURCE_DIRS = ['src', 'components', 'native'];

function newestSource() {
  let newest = statSync(join(ROOT, 'package.json')).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(ROOT, dir));
  return newest;
}

function isFresh() {
  try {
    return statSync(ENTRY).mtimeMs >= newestSource();
  } catch {
    return false;
  }
}

/** Returns the path of an up-to-date bundle, building it first if needed. */
export async function ensureBundle() {
  if (isFresh()) return ENTRY;
  const { build } = await import('esbuild');
  // Build beside dist/ and swap it in, so a concurrent start never runs half a bundle.
  const staging = join(ROOT, `dist.tmp-${process.pid}`);
  await build({
    entryPoints: [join(ROOT, 'src', 'cli.ts')],
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    jsx: 'automatic',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  const old = join(ROOT, `dist.old-${process.pid}`);
  try {
    mkdirSync(join(ROOT, 'dist'), { recursive: true });
    renameSync(join(ROOT, 'dist'), old);
    renameSync(staging, join(ROOT, 'dist'));
  } catch (error) {
    // Another start swapped its bundle in at the same moment; theirs is as good as ours.
    rmSync(staging, { recursive: true, force: true });
    if (!isFresh()) throw error;
  } finally {
    rmSync(old, { recursive: true, force: true });
  }
  return ENTRY;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(await ensureBundle());
}
