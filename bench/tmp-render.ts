import xtermHeadless from '@xterm/headless';
import { renderScreen } from '../src/term/render.ts';
const t = new xtermHeadless.Terminal({ cols: 78, rows: 38, allowProposedApi: true, scrollback: 1000 });
let s = '';
for (let i = 0; i < 60; i++) s += `\x1b[1;32mroot@host\x1b[0m:~# ls -la /usr/lib/x86_64-linux-gnu ${i}\r\n`;
await new Promise<void>((r) => t.write(s, r));
for (let k = 0; k < 3; k++) {
  const n = 2000; const a = performance.now();
  for (let i = 0; i < n; i++) renderScreen(t, true);
  console.log('renderScreen', ((performance.now() - a) / n).toFixed(3), 'ms');
}
