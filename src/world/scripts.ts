import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ASSETS_DIR } from '../paths.ts';

const scriptsDir = join(ASSETS_DIR, 'world') + '/';
const cache = new Map<string, string>();

/**
 * The text of a shell script from assets/world. nslab passes scripts to `sh -c` as text rather
 * than as a path: when started by root, the lab runs as an unprivileged uid that may not be
 * able to read the checkout (e.g. under /root).
 */
export function readWorldScript(name: 'level1.sh' | 'labhost.sh' | 'container.sh'): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(scriptsDir + name, 'utf8');
    cache.set(name, text);
  }
  return text;
}
