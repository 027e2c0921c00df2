/**
 * The ScreenWriter's drawing of Ink's lines on a real VT terminal (tmux), in the mode nslab
 * puts it in (src/term/terminal.ts: autowrap off). There, after a character in the last
 * column the cursor stays on it, and an erase to the end of the line erases that character
 * too (xterm's and tmux's DECAWM-off behaviour; xterm.js, which the other screen tests use,
 * keeps it, so they cannot see this).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const socket = `nslab-test-sw-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'nslab-screen-writer-'));
afterAll(() => {
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server left
  }
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// .ci/run installs tmux; without it the test says it was skipped.
const haveTmux = spawnSync('tmux', ['-V']).status === 0;

it.skipIf(!haveTmux)('a line as wide as the screen keeps its last column (a panel border, a footer), and a shorter one over it leaves nothing behind', async () => {
  const script = join(dir, 'draw.ts');
  // Two frames: full-width lines, then shorter ones over them; then it waits to be looked at.
  writeFileSync(
    script,
    `import { ScreenWriter } from ${JSON.stringify(join(process.cwd(), 'src/term/screen-writer.ts'))};
process.stdout.write('\\x1b[?7l');
const writer = new ScreenWriter((data) => void process.stdout.write(data), 4);
writer.setInkFrame(['╭' + '─'.repeat(18) + '╮', '│ full width        │', 'x'.repeat(20), '╰' + '─'.repeat(18) + '╯'].join('\\n'));
writer.frame();
setTimeout(() => {
  writer.setInkFrame(['╭' + '─'.repeat(18) + '╮', 'short', 'x'.repeat(20), 'end'].join('\\n'));
  writer.frame();
  process.stdout.write('\\x1b[4;10H');
}, 300);
setTimeout(() => {}, 30_000);
`,
  );
  execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '20', '-y', '4', `${process.execPath} --import tsx ${script}`], { cwd: process.cwd() });
  const capture = () => execFileSync('tmux', ['-L', socket, 'capture-pane', '-p'], { encoding: 'utf8' }).split('\n').slice(0, 4);
  let screen: string[] = [];
  for (let i = 0; i < 150 && !(screen = capture()).includes('short'); i++) await sleep(100);
  await sleep(200);
  screen = capture();
  expect(screen).toEqual(['╭' + '─'.repeat(18) + '╮', 'short', 'x'.repeat(20), 'end']);
});
