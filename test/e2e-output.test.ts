/**
 * Output to the user's terminal is bounded (issue #9, finding 8), through the real app: a pane
 * of cells each holding "a" and a thousand combining marks used to be redrawn whole every
 * frame — 1.1 MB for each key typed in the other pane. A key now costs about a pane row.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppUnderTest } from './support/app.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

let app: AppUnderTest;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  app = new AppUnderTest(['play']);
  await app.waitFor((s) => s.includes('root@host:~#') && s.includes('root@container:/#'), 'both prompts', 30_000);
});

afterAll(async () => {
  app.type('\x07q');
  await Promise.race([app.exited, sleep(5000)]);
  app.kill();
});

it('a key typed beside a pane full of combining marks costs a row, not the screen', async () => {
  // 40 cells of "a" + 1000 combining acute accents (U+0301) each, in the container pane.
  app.type(`m=$(printf '\\u0301%.0s' $(seq 1000)); for i in $(seq 40); do printf "a$m"; done; echo; echo marks-done\r`);
  await app.waitFor(() => app.half('right').includes('marks-done'), 'the marks printed', 30_000);
  app.type('\x07\t'); // focus: host
  await app.waitFor((s) => s.includes('▶ host'), 'focus on the host pane');
  await sleep(500);
  const before = app.bytes;
  const keys = 'abcdefghij';
  for (let i = 0; i < keys.length; i++) {
    app.type(keys[i]!);
    await app.waitFor(() => app.half('left').includes(`# ${keys.slice(0, i + 1)}`), `echo of ${keys[i]}`);
    await sleep(50);
  }
  await sleep(300);
  const perKey = (app.bytes - before) / keys.length;
  expect(perKey).toBeLessThan(2048);
});
