/**
 * assets/world/nslab-init.c, compiled once into the cache dir: level 1's non-dumpable pid 1
 * (the C file says why it must be a program of its own and not a shell or util-linux unshare).
 *
 * nslab hands it to the lab world as an open fd, not a path: when started by root the lab runs
 * as an unprivileged uid that cannot traverse root's cache dir, and an exec through
 * /proc/self/fd/N needs only execute permission on the file itself (fexecve(3)).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, chmodSync, constants, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ASSETS_DIR } from '../paths.ts';
import { prepareCacheDir } from '../rootfs/cache.ts';

const SOURCE = join(ASSETS_DIR, 'world', 'nslab-init.c');
const run = promisify(execFile);

export type InitBinary = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

let cached: Promise<InitBinary> | undefined;

/** The compiled helper (compiled on first use, then reused while its source is unchanged). */
export function levelOneInit(): Promise<InitBinary> {
  cached ??= build().catch((error: unknown) => ({ ok: false as const, reason: (error as Error).message }));
  return cached;
}

/** The C compiler nslab uses, or undefined. */
export function findCompiler(path = process.env['PATH'] ?? ''): string | undefined {
  for (const dir of [...path.split(':').filter(Boolean), '/usr/bin', '/bin']) {
    try {
      accessSync(join(dir, 'cc'), constants.X_OK);
      return join(dir, 'cc');
    } catch {
      // not here
    }
  }
  return undefined;
}

async function build(): Promise<InitBinary> {
  const source = readFileSync(SOURCE);
  const key = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = await prepareCacheDir();
  const path = join(dir, `nslab-init-${key}`);
  try {
    accessSync(path, constants.X_OK);
    return { ok: true, path };
  } catch {
    // not built yet
  }
  const cc = findCompiler();
  if (!cc) return { ok: false, reason: 'there is no C compiler (cc) to build assets/world/nslab-init.c' };
  const temp = `${path}.${process.pid}.tmp`;
  try {
    await run(cc, ['-O2', '-Wall', '-o', temp, SOURCE], { timeout: 60_000 });
    chmodSync(temp, 0o755); // the lab's uid executes it; cc's mode follows the umask
    renameSync(temp, path);
    return { ok: true, path };
  } catch (error) {
    rmSync(temp, { force: true });
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0];
    return { ok: false, reason: `cc could not build assets/world/nslab-init.c: ${stderr || (error as Error).message}` };
  }
}
