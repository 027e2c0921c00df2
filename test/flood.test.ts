/**
 * Skipping overwritten plain text (src/term/flood.ts) must leave the emulator exactly where
 * parsing everything would: checked against xterm.js itself, from random starting states
 * (scroll regions, the alternate screen, an escape sequence cut in half, insert mode, wide
 * characters, colours) and random floods (CRLF or bare LF, long and empty lines).
 */
import { afterEach, expect, it } from 'vitest';
import xterm from '@xterm/headless';
import type { Terminal as TerminalType } from '@xterm/headless';
import { canSkipPlainText, overwrittenPoint, overwrittenPrefix } from '../src/term/flood.ts';

const { Terminal } = xterm;
const terminals: TerminalType[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.dispose();
});

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function write(term: TerminalType, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

/** Everything a frame could show or a later byte could depend on, as one string. */
function state(term: TerminalType): string {
  const out: string[] = [];
  for (const buffer of [term.buffer.normal, term.buffer.alternate]) {
    const cell = buffer.getNullCell();
    out.push(`type=${buffer.type} len=${buffer.length} base=${buffer.baseY} view=${buffer.viewportY} cursor=${buffer.cursorX},${buffer.cursorY}`);
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y)!;
      let row = line.isWrapped ? 'W|' : ' |';
      for (let x = 0; x < term.cols; x++) {
        line.getCell(x, cell);
        row += `${cell.getChars() || '_'}:${cell.getWidth()}:${cell.getFgColor()}:${cell.getBgColor()}:${cell.isBold()}${cell.isInverse()} `;
      }
      out.push(row);
    }
  }
  out.push(`active=${term.buffer.active.type} modes=${JSON.stringify(term.modes)}`);
  return out.join('\n');
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

/** A random starting state: what a shell session might have left behind. */
function prelude(r: () => number, cols: number, rows: number): string {
  let s = '';
  const steps = 5 + Math.floor(r() * 20);
  for (let i = 0; i < steps; i++) {
    s += pick(r, [
      () => 'hello world '.repeat(1 + Math.floor(r() * 4)),
      () => '\r\n',
      () => '\n',
      () => `\x1b[${1 + Math.floor(r() * rows)};${1 + Math.floor(r() * cols)}H`,
      () => `\x1b[3${Math.floor(r() * 8)};4${Math.floor(r() * 8)}m`,
      () => '\x1b[0m',
      () => '\x1b[1;7m',
      () => `\x1b[${1 + Math.floor(r() * 2)};${rows - Math.floor(r() * 2)}r`, // scroll region
      () => '\x1b[r',
      () => '\x1b[4h', // insert mode
      () => '\x1b[4l',
      () => '\x1b[?1049h',
      () => '\x1b[?1049l',
      () => '中文😀 ',
      () => 'e\u0301\u0302',
      () => '\x1b[2J',
      () => '\t',
    ])();
  }
  // Often a screen full of old text with the cursor at the top (the flood then starts on rows
  // that still hold text); sometimes the end is inside an escape sequence or string.
  if (r() < 0.5) s += `${'old text row '.repeat(cols)}\x1b[${1 + Math.floor(r() * 2)};${1 + Math.floor(r() * cols)}H`;
  return s + pick(r, ['', '', '', '\x1b[3', '\x1b]0;title ', '\x1b']);
}

/** Plain lines, at least `min` characters. */
function flood(r: () => number, cols: number, min: number): string {
  const eol = r() < 0.8 ? '\r\n' : pick(r, ['\n', '\r', '\n\r']);
  let s = '';
  let n = Math.floor(r() * 1000);
  while (s.length < min) {
    const len = pick(r, [0, 1, 5, cols - 1, cols, cols + 3, 2 * cols]);
    s += String(n++).padEnd(len, 'x').slice(0, Math.max(len, 1)) + eol;
  }
  return s;
}

it('leaves the emulator in the state parsing everything gives, from random states', async () => {
  let skippedTrials = 0;
  let refusedTrials = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed);
    const cols = 10 + Math.floor(r() * 30);
    const rows = 3 + Math.floor(r() * 10);
    const scrollback = pick(r, [0, 7, 100]);
    const full = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    const cut = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    terminals.push(full, cut);
    const start = prelude(r, cols, rows);
    await write(full, start);
    await write(cut, start);
    const text = flood(r, cols, 20_000 + Math.floor(r() * 20_000)) + pick(r, ['', 'tail', '\x1b[31mred\x1b[0m', '\x1b[H\x1b[2Jcleared']);
    await write(full, text);
    const skip = canSkipPlainText(cut) ? overwrittenPrefix(text, rows, scrollback) : 0;
    if (skip > 0) skippedTrials++;
    else refusedTrials++;
    await write(cut, text.slice(skip));
    expect(state(cut), `seed ${seed}: ${cols}x${rows} scrollback ${scrollback}, skipped ${skip} of ${text.length}`).toBe(state(full));
    full.dispose();
    cut.dispose();
  }
  // The comparison means something only if both paths were taken often.
  expect(skippedTrials).toBeGreaterThanOrEqual(15);
  expect(refusedTrials).toBeGreaterThan(5);
});

it('a flood that starts at the top of a full screen, CRLF or bare LF: the same screen and cursor', async () => {
  for (const [eol, scrollback] of [['\r\n', 0], ['\r\n', 9], ['\n', 0], ['\n\r', 3]] as const) {
    const full = new Terminal({ cols: 20, rows: 5, scrollback, allowProposedApi: true });
    const cut = new Terminal({ cols: 20, rows: 5, scrollback, allowProposedApi: true });
    terminals.push(full, cut);
    const start = `${'old text row '.repeat(20)}\x1b[1;4H`;
    await write(full, start);
    await write(cut, start);
    let text = '';
    for (let i = 0; text.length < 40_000; i++) text += String(i) + eol;
    await write(full, text);
    const skip = overwrittenPrefix(text, 5, scrollback);
    await write(cut, text.slice(skip));
    expect(state(cut), JSON.stringify(eol)).toBe(state(full));
    if (eol !== '\n') expect(skip).toBeGreaterThan(text.length / 2);
  }
});

it('skips nothing inside an escape sequence or with a partial scroll region', async () => {
  const text = '1\r\n'.repeat(20_000);
  const inCsi = new Terminal({ cols: 20, rows: 5, allowProposedApi: true });
  const region = new Terminal({ cols: 20, rows: 5, allowProposedApi: true });
  terminals.push(inCsi, region);
  await write(inCsi, '\x1b[3');
  await write(region, '\x1b[2;4r');
  expect(canSkipPlainText(inCsi)).toBe(false);
  expect(canSkipPlainText(region)).toBe(false);
  const idle = new Terminal({ cols: 20, rows: 5, allowProposedApi: true });
  terminals.push(idle);
  await write(idle, 'prompt$ ');
  expect(canSkipPlainText(idle)).toBe(true);
  expect(overwrittenPrefix(text, 5, 1000)).toBeGreaterThan(text.length / 2);
});

it('finds the same point in a run cut into chunks anywhere as in the run whole (Pane keeps its backlog in chunks)', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const r = rng(seed);
    const rows = 3 + Math.floor(r() * 10);
    const scrollback = pick(r, [0, 7, 100, 1000]);
    let text = '';
    for (let i = 0; text.length < 9_000 + r() * 30_000; i++) text += 'x'.repeat(Math.floor(r() * 12)) + pick(r, ['\r\n', '\n', '\r\n', '\n\r']);
    const chunks: string[] = [];
    for (let at = 0; at < text.length; ) {
      const size = 1 + Math.floor(r() * pick(r, [3, 64, 4095]));
      chunks.push(text.slice(at, at + size));
      at += size;
    }
    const whole = overwrittenPrefix(text, rows, scrollback);
    const point = overwrittenPoint(chunks, rows, scrollback);
    const offset = point ? chunks.slice(0, point.chunk).reduce((n, c) => n + c.length, 0) + point.offset : 0;
    expect(offset, `seed ${seed}: ${chunks.length} chunks`).toBe(whole);
    if (point) expect(point.offset).toBeLessThan(chunks[point.chunk]!.length);
  }
});
