/**
 * Where nslab's own files are. The code runs either from src/ (tests, tsx) or bundled into
 * dist/ (bin/nslab.js), so paths are found from the package root rather than from the module.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'assets'))) return dir;
    if (dirname(dir) === dir) throw new Error(`nslab's package root is not above ${from}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const ASSETS_DIR = join(PACKAGE_ROOT, 'assets');
export const LABS_DIR = join(PACKAGE_ROOT, 'labs') + '/';
