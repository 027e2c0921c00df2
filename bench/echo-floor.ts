/**
 * The floor under the idle echo figure: programs that do nothing but echo their terminal's
 * input back, timed through the same harness as nslab and tmux (outer.ts: a key counts when it
 * is visible on the outer screen). `cat` on a raw terminal is C in one process; the Node.js
 * program is the runtime nslab is written in, with nothing of nslab's. A key in nslab takes two
 * such hops (the keyboard to the pane's PTY, the pane's echo to the screen) with the shell's
 * echo between them; tmux takes its hops in C.
 */
import { Outer, percentile } from './outer.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROGRAMS: ReadonlyArray<{ name: string; argv: string[] }> = [
  { name: '`cat` on a raw terminal (C)', argv: ['/bin/sh', '-c', 'stty raw -echo; echo ready; exec cat'] },
  {
    name: 'Node.js echoing stdin to stdout',
    argv: [process.execPath, '-e', "process.stdin.setRawMode(true); process.stdin.on('data', (d) => process.stdout.write(d)); process.stdout.write('ready\\r\\n');"],
  },
];

/** Echo latency of `argv` over `keys` keys, each typed once the previous one is visible. */
async function echoOf(argv: string[], keys: number): Promise<number[]> {
  const outer = new Outer({ argv, cols: 80, rows: 24 });
  try {
    await outer.when(() => outer.screen().includes('ready'), 'the program ready', 10_000);
    await sleep(200);
    const cursorLine = () => {
      const buffer = outer.term.buffer.active;
      return buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) ?? '';
    };
    const latencies: number[] = [];
    for (let i = 0; i < keys; i++) {
      if (cursorLine().length >= 60) {
        outer.type('\r\n');
        await outer.when(() => cursorLine() === '', 'a new line');
      }
      const length = cursorLine().length;
      const sent = performance.now();
      outer.type('x');
      latencies.push((await outer.when(() => cursorLine().length > length, 'the echo')) - sent);
      await sleep(5 + Math.random() * 15);
    }
    return latencies;
  } finally {
    outer.kill();
  }
}

/** One line per program: its echo p50 and p99 at the outer screen. */
export async function echoFloor(keys = 120): Promise<string[]> {
  const lines: string[] = [];
  for (const { name, argv } of PROGRAMS) {
    const latencies = await echoOf(argv, keys);
    lines.push(`  ${name.padEnd(34)} p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (n=${latencies.length})`);
  }
  return lines;
}
