/**
 * `--rootfs` for real: a directory and a `docker export`-style .tar.gz (absolute symlinks, no
 * merged /usr) are imported, and the container pane runs a shell in them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { importRootfs } from '../src/rootfs/import.ts';
import { PLAYGROUND, Stage, screenText } from '../src/world/stage.ts';
import { eventually, hostSnapshot, leftoverProcesses, type HostSnapshot } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

let work: string;
let image: string;
let before: HostSnapshot;

beforeAll(async () => {
  before = hostSnapshot();
  work = mkdtempSync(join(tmpdir(), 'nslab-import-world-'));
  // An image laid out like `docker export` output: real /bin and /lib directories, /bin/sh an
  // absolute symlink, a marker file to recognise it by.
  image = join(work, 'image');
  mkdirSync(image);
  execFileSync('tar', ['-x', '-f', await testRootfsTar(), '-C', image]);
  writeFileSync(join(image, 'etc', 'nslab-imported'), 'yes\n');
  rmSync(join(image, 'bin'));
  mkdirSync(join(image, 'bin'));
  symlinkSync('/usr/bin/dash', join(image, 'bin', 'sh'));
  symlinkSync('/usr/bin/bash', join(image, 'bin', 'bash'));
  execFileSync('tar', ['-czf', join(work, 'export.tar.gz'), '-C', image, '.']);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  expect(hostSnapshot()).toEqual(before);
  expect(leftoverProcesses()).toEqual([]);
});

for (const kind of ['directory', 'tar.gz'] as const) {
  it(`runs the container in an imported ${kind}`, async () => {
    const source = kind === 'directory' ? image : join(work, 'export.tar.gz');
    const imported = await importRootfs(source, { cacheDir: join(work, `cache-${kind}`) });
    expect(imported.source).toBe('import');
    const stage = await Stage.open(PLAYGROUND, imported.tarPath, { cols: 100, rows: 30 });
    try {
      expect(await eventually(() => screenText(stage.container).includes('root@container'))).toBe(true);
      stage.container.write('cat /etc/nslab-imported; readlink /bin/sh\r');
      expect(await eventually(() => /\nyes\n\/usr\/bin\/dash\n/.test(screenText(stage.container)))).toBe(true);
    } finally {
      await stage.close();
    }
  });
}
