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
/** Of those, the CommonJS ones nslab imports at start. */
const NATIVE = ['node-pty', 'koffi'];

/**
 * The native addons come in through require(), not import: an ESM import of a CommonJS package
 * makes Node scan its source for export names first (cjs-module-lexer), which costs 10-20 ms
 * for koffi alone before any of it runs (measured). nslab only uses their default export.
 */
const requireNatives = {
  name: 'require-natives',
  setup(build) {
    const filter = new RegExp(`^(${NATIVE.join('|')})$`);
    build.onResolve({ filter }, (args) => (args.namespace === 'native-require' ? { path: args.path, external: true } : { path: args.path, namespace: 'native-require' }));
    build.onLoad({ filter: /.*/, namespace: 'native-require' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};
/**
 * string-width builds an Intl.Segmenter and three Unicode-property expressions as it loads
 * (40-50 ms of the only thread on this VM, measured), and the playground's first frame does not
 * measure with it (src/term/width.ts): nslab's own modules get it through a shim that loads it
 * at its first call. A module that is require()d is bundled as a lazy initializer (esbuild,
 * "Bundling: require of ESM"), which the static imports of Ink's dependencies then also call
 * when they load: one copy, initialised once, at the first use either way.
 */
const lazyStringWidth = {
  name: 'lazy-string-width',
  setup(build) {
    const ours = SOURCE_DIRS.map((dir) => join(ROOT, dir) + '/');
    build.onResolve({ filter: /^string-width$/ }, (args) =>
      ours.some((dir) => args.importer.startsWith(dir)) ? { path: 'string-width', namespace: 'lazy-string-width' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-string-width' }, () => ({
      contents: "let width; export default function stringWidth(text, options) { width ??= require('string-width').default; return width(text, options); }",
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};
const SOURCE_DIRS = ['src', 'components', 'native'];
/**
 * What else the bundle is made from: how it is built, and the bundled packages (npm rewrites
 * its hidden lockfile, node_modules/.package-lock.json, on every install that changes them).
 */
const BUILD_INPUTS = ['package.json', 'scripts/bundle.mjs', 'scripts/no-devtools.mjs', 'node_modules/.package-lock.json'];

function newestSource() {
  let newest = 0;
  for (const file of BUILD_INPUTS) newest = Math.max(newest, statSync(join(ROOT, file), { throwIfNoEntry: false })?.mtimeMs ?? 0);
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
    external: EXTERNAL.filter((name) => !NATIVE.includes(name)),
    plugins: [requireNatives, lazyStringWidth],
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
