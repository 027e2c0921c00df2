/**
 * The command line's promises, checked through the real TUI: `play --rootfs DIR` runs that
 * rootfs (not the host one) and shows what the import did; NO_COLOR turns nslab's colours off.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppUnderTest } from './support/app.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);
const scratch = mkdtempSync(join(tmpdir(), 'nslab-e2e-cli-'));
const apps: AppUnderTest[] = [];
afterAll(() => {
  for (const app of apps) app.kill();
  rmSync(scratch, { recursive: true, force: true });
});

let rootfsDir: string;
beforeAll(async () => {
  // A rootfs of our own: the host-built one plus a marker only it has.
  rootfsDir = join(scratch, 'my-rootfs');
  execFileSync('mkdir', ['-p', rootfsDir]);
  execFileSync('tar', ['-x', '-f', await testRootfsTar(), '-C', rootfsDir]);
  writeFileSync(join(rootfsDir, 'etc', 'nslab-e2e-marker'), 'imported-rootfs-here\n');
});

it('play --rootfs DIR: the container runs that rootfs, and the import summary is shown', async () => {
  const app = new AppUnderTest(['play', '--rootfs', rootfsDir], { stateDir: join(scratch, 'state'), env: { XDG_CACHE_HOME: join(scratch, 'cache') } });
  apps.push(app);
  await app.waitFor((s) => s.includes('root@container:/#'), 'the playground', 60_000);
  // The notice wraps in the footer: read it as one line.
  const flat = () => app.screen().split('\n').map((l) => l.trim()).join(' ');
  await app.waitFor(() => flat().includes(`Imported from ${rootfsDir} (directory)`), 'the import summary in the footer');
  app.type('cat /etc/nslab-e2e-marker\r');
  await app.waitFor(() => app.half('right').includes('imported-rootfs-here'), 'the marker of the imported rootfs');
  app.type('\x07q');
  expect(await app.exited).toBe(0);
  // Still there on the main screen once the UI has gone.
  expect(flat()).toContain(`nslab: Imported from ${rootfsDir} (directory)`);
});

it('NO_COLOR: nothing nslab draws itself has a colour', async () => {
  const colourless = (app: AppUnderTest) => {
    const buffer = app.term.buffer.active;
    const rows = [0, 1, app.term.rows - 4, app.term.rows - 3]; // pane titles, footer
    for (const y of rows) {
      const line = buffer.getLine(buffer.viewportY + y)!;
      for (let x = 0; x < app.term.cols; x++) {
        const cell = line.getCell(x)!;
        if (!cell.isFgDefault()) return false;
      }
    }
    return true;
  };
  const coloured = new AppUnderTest(['play'], { stateDir: join(scratch, 'state2') });
  apps.push(coloured);
  await coloured.waitFor((s) => s.includes('root@container:/#') && s.includes('own: '), 'the playground');
  expect(colourless(coloured)).toBe(false); // the test can see colour when there is some
  coloured.type('\x07q');
  await coloured.exited;

  const plain = new AppUnderTest(['play'], { stateDir: join(scratch, 'state3'), env: { NO_COLOR: '1' } });
  apps.push(plain);
  await plain.waitFor((s) => s.includes('root@container:/#') && s.includes('own: '), 'the playground');
  expect(colourless(plain)).toBe(true);
  plain.type('\x07q');
  expect(await plain.exited).toBe(0);
});

it('a terminal too small for the panes is refused in words, though the lab world had started meanwhile', async () => {
  // `play` starts its world before the prerequisites are in (src/cli.ts openInteractive); a
  // failed one must still end nslab with the reason, before anything is drawn full-screen.
  const app = new AppUnderTest(['play'], { cols: 90, rows: 20, stateDir: join(scratch, 'state-small') });
  apps.push(app);
  expect(await app.exited).toBe(1);
  expect(app.term.buffer.active.type).toBe('normal');
  expect(app.screen().replace(/\s+/g, ' ')).toContain('cannot start: a terminal of at least 100x24 is missing (90x20).');
});
