/**
 * The playground through the real TUI: both prompts appear, `hostname` answers differently in
 * each pane, Ctrl-g Tab moves the focus, Ctrl-g q quits and leaves nothing behind.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppUnderTest } from './support/app.ts';
import { eventually, hostSnapshot, leftoverProcesses, type HostSnapshot } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

let before: HostSnapshot;
let app: AppUnderTest;

beforeAll(async () => {
  await testRootfsTar();
  before = hostSnapshot();
  app = new AppUnderTest(['play']);
});

afterAll(() => {
  app.kill();
});

it('opens both panes with their prompts, the container focused', async () => {
  await app.waitFor((s) => s.includes('root@host:~#') && s.includes('root@container:/#'), 'both prompts');
  expect(app.half('left')).toContain('root@host:~#');
  expect(app.half('right')).toContain('root@container:/#');
  expect(app.half('right')).toContain('▶ container');
  expect(app.half('left')).not.toContain('▶');
});

it('types into the focused pane: hostname says container, then host after Ctrl-g Tab', async () => {
  app.type('hostname\r');
  await app.waitFor(() => /[┃│]container\s/.test(app.half('right')), 'container hostname');
  expect(app.half('right')).toMatch(/[┃│]container\s/);
  expect(app.half('left')).not.toMatch(/[┃│]host\s/);

  app.type('\x07\t');
  await app.waitFor((s) => s.includes('▶ host'), 'focus on the host pane');
  app.type('hostname\r');
  await app.waitFor(() => /[┃│]host\s/.test(app.half('left')), 'host hostname');
});

it('shows the foreground process\'s namespaces in the pane title', async () => {
  app.type('unshare --uts sh\r');
  await app.waitFor(() => /▶ host · sh\s+own: uts/.test(app.half('left')), 'title: own uts');
  app.type('exit\r');
  await app.waitFor(() => /▶ host · bash\s+own: none/.test(app.half('left')), 'title back to bash');
});

it('Ctrl-g q quits, restores the terminal and leaves nothing behind', async () => {
  app.type('\x07q');
  expect(await app.exited).toBe(0);
  expect(app.term.buffer.active.type).toBe('normal'); // left the alternate screen
  expect(await eventually(() => leftoverProcesses().length === 0)).toBe(true);
  expect(hostSnapshot()).toEqual(before);
});
