import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHostRootfs } from '../../src/rootfs/build.ts';

/** The host-built container image, cached for the whole test run outside the user's XDG cache. */
export async function testRootfsTar(): Promise<string> {
  const image = await ensureHostRootfs({ cacheDir: join(tmpdir(), 'nslab-test-cache') });
  return image.tarPath;
}
