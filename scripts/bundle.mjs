/**
 * Bundles nslab into dist/ with esbuild: its own code (src/, components/, native/) and the
 * pure-JavaScript packages it uses. Packages with native parts (node-pty, koffi) and the lab
 * loader's tsx stay in node_modules. The UI is a separate chunk so Ink is only loaded when
 * the screen is needed.
 *
 * Why: loading ~50 TypeScript modules through a loader at every start cost about half a
 * second; and importing a CommonJS package from ESM makes Node scan its source for export
 * names (cjs-module-lexer: ~80 ms for @xterm/headless alone, measured with --cpu-prof).
 * Bundled, esbuild has done both once, at build time. Lab files are not bundled: they are
 * data that instructors edit, loaded at run time (src/labs/catalog.ts).
 *
 * A clone rebuilds when a source is newer than the bundle (bin/nslab.js); a packed package
 * (`npm pack`, `prepack`) ships the bundle with a PACKED marker and never looks at sources.
 */
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const ENTRY = join(ROOT, 'dist', 'cli.js');
/** Written by `prepack`: this dist/ is the shipped one, used as it is. */
export const PACKED = join(ROOT, 'dist', 'PACKED');
/** Loaded from node_modules at run time: native addons, and tsx for the lab files. */
const EXTERNAL = ['node-pty', 'koffi', 'tsx', 'esbuild'];
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
export async function ensureBundle({ force = false } = {}) {
  if (!force && isFresh()) return ENTRY;
  const { build, stop } = await import('esbuild');
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
    external: EXTERNAL,
    // Bundled CommonJS packages call require() for Node's own modules; give the ESM bundle one.
    banner: { js: "import { createRequire as __nslabCreateRequire } from 'node:module'; const require = __nslabCreateRequire(import.meta.url);" },
    // Ink's optional React devtools (only with DEV=true) is not installed.
    alias: { 'react-devtools-core': join(ROOT, 'scripts', 'no-devtools.mjs') },
    jsx: 'automatic',
    // React and react-reconciler pick their development builds unless NODE_ENV is
    // "production": twice the code, extra checks on every render, and more memory. Fixed at
    // build time, so the user's own NODE_ENV cannot switch nslab into them.
    define: { 'process.env.NODE_ENV': '"production"' },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  // esbuild keeps a service process (~25 MB) for further builds; there are none.
  stop();
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
  // `--pack` (npm's prepack): a fresh build, marked as the shipped one.
  const pack = process.argv.includes('--pack');
  const entry = await ensureBundle({ force: pack });
  if (pack) writeFileSync(PACKED, 'built by prepack; bin/nslab.js runs this dist/ without rebuilding\n');
  console.log(entry);
}
