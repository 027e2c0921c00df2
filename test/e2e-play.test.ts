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
  await app.waitFor(() => /▶ host · sh · root: lab host's \/\s+own: uts · shared: /.test(app.half('left')), 'title: own uts');
  app.type('exit\r');
  await app.waitFor(() => /▶ host · bash · root: lab host's \/\s+own: none/.test(app.half('left')), 'title back to bash');
  // The container's title says where its root is, read from the kernel (the playground pivots).
  expect(app.half('right')).toMatch(/container · bash · root: \$ROOTFS \(pivot_root\)\s+own: mnt pid net uts ipc/);
});

it('passes keys through byte for byte: arrows, F-keys, Alt, Ctrl-C', async () => {
  app.type('cat -v\r');
  await app.waitFor(() => /▶ host · cat/.test(app.half('left')), 'cat in the foreground');
  app.type('\x1b[A\x1bOP\x1bx\r'); // arrow up, F1, Alt-x
  await app.waitFor(() => app.half('left').includes('^[[A^[OP^[x'), 'cat -v echoing the raw keys');
  app.type('\x03'); // Ctrl-C reaches cat, not nslab
  await app.waitFor(() => /▶ host · bash/.test(app.half('left')), 'cat interrupted, bash back in the foreground');
});

it('runs full-screen programs on the alternate screen and restores the shell screen after', async () => {
  app.type('clear; echo before-top\r');
  await app.waitFor(() => app.half('left').includes('before-top'), 'the marker on the shell screen');
  // less switches to the alternate screen (smcup) and back on exit; procps top does not.
  app.type('seq 1 500 | less\r');
  await app.waitFor(() => /[┃│]1\s/.test(app.half('left')) && !app.half('left').includes('before-top'), 'less on the alternate screen');
  app.type('G'); // keys reach less: jump to the end
  await app.waitFor(() => /[┃│]500\s/.test(app.half('left')), 'less showing the last line');
  app.type('q');
  await app.waitFor(() => app.half('left').includes('before-top') && /▶ host · bash/.test(app.half('left')), 'the shell screen back');
});

it('answers programs that query the terminal (cursor position report)', async () => {
  // DSR 6: the program asks where the cursor is and blocks until the terminal answers.
  app.type(`printf '\\033[6n'; IFS='[;' read -rs -d R _ row col; echo "cursor-at-$row-$col"\r`);
  await app.waitFor(() => /cursor-at-\d+-1\b/.test(app.half('left')), 'the answer read by the shell');
});

it('resizes both panes and their PTYs with the outer terminal', async () => {
  app.resize(140, 40);
  // The resize is debounced; wait for the frame drawn at the new size (68 + 2 border columns).
  await app.waitFor((s) => /^[┏╭][━─]{68}[┓╮][┏╭]/m.test(s), 'panes redrawn at the new size');
  // Nothing of the taller, wider frame may stay behind: exactly one title line.
  expect(app.screen().split('\n').filter((l) => l.includes('· root: ')).length).toBe(1);
  app.type('clear; stty size\r');
  // 140 columns: two panes of 140/2 - 2 = 68; 40 rows: minus two title lines, two borders,
  // the footer (keys and two notice rows) and a spare row: 32.
  await app.waitFor(() => /[┃│]32 68\s/.test(app.half('left')), 'stty size 32 68 in the host pane');
  app.type('\x07\t');
  app.type('clear; stty size\r');
  await app.waitFor(() => /[┃│]32 68\s/.test(app.half('right')), 'stty size 32 68 in the container pane');
  app.type('\x07\t');
});

it('Ctrl-g l leaves the playground for the lab list (loaded meanwhile)', async () => {
  app.type('\x07l');
  await app.waitFor((s) => s.includes('pivot-root') && s.includes('veth-pairing'), 'the lab list');
  app.type('p');
  await app.waitFor((s) => s.includes('root@host:~#') && s.includes('root@container:/#'), 'a fresh playground');
});

it('Ctrl-g q quits, restores the terminal and leaves nothing behind', async () => {
  app.type('\x07q');
  expect(await app.exited).toBe(0);
  expect(app.term.buffer.active.type).toBe('normal'); // left the alternate screen
  expect(await eventually(() => leftoverProcesses().length === 0)).toBe(true);
  expect(hostSnapshot()).toEqual(before);
});
