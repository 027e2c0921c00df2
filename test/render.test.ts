import { afterEach, describe, expect, it, vi } from 'vitest';
// @xterm/headless is CommonJS: Node's ESM loader cannot see its named exports, so take the
// default export (works under vitest and plain Node alike).
import xterm from '@xterm/headless';
import type { Terminal as TerminalType } from '@xterm/headless';
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';
import { createElement } from 'react';
import { Box, Text, renderToString } from 'ink';
import { isCursorHidden, renderRow, renderScreen } from '../src/term/render.ts';

const { Terminal } = xterm;

const RESET = '\x1b[0m';
const INV = '\x1b[7m';

const terminals: TerminalType[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.dispose();
});

function write(term: TerminalType, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

async function termWith(data: string, cols = 20, rows = 5): Promise<TerminalType> {
  const term = new Terminal({ cols, rows, allowProposedApi: true });
  terminals.push(term);
  await write(term, data);
  return term;
}

const spaces = (n: number): string => ' '.repeat(n);

describe('renderRow: text', () => {
  it('renders plain text padded with spaces to the full width, without escapes', async () => {
    const term = await termWith('hello');
    expect(renderRow(term, 0)).toBe('hello' + spaces(15));
  });

  it('renders an empty row as cols spaces', async () => {
    const term = await termWith('hello');
    expect(renderRow(term, 1)).toBe(spaces(20));
  });

  it('renders a row outside the viewport as spaces', async () => {
    const term = await termWith('hello');
    expect(renderRow(term, 5)).toBe(spaces(20));
    expect(renderRow(term, -1)).toBe(spaces(20));
  });

  it('keeps text at the columns the program put it (cursor movement, tabs)', async () => {
    const term = await termWith('a\tb\x1b[1;18Hz');
    expect(renderRow(term, 0)).toBe('a' + spaces(7) + 'b' + spaces(8) + 'z' + spaces(2));
  });
});

describe('renderRow: colours', () => {
  it.each([
    ['16-colour fg', '\x1b[31m', '\x1b[31m'],
    ['bright fg', '\x1b[91m', '\x1b[91m'],
    ['16-colour bg', '\x1b[42m', '\x1b[42m'],
    ['bright bg', '\x1b[103m', '\x1b[103m'],
    ['256-colour fg', '\x1b[38;5;196m', '\x1b[38;5;196m'],
    ['256-colour bg', '\x1b[48;5;22m', '\x1b[48;5;22m'],
    ['256-colour syntax for a low palette index', '\x1b[38;5;3m', '\x1b[33m'],
    ['256-colour syntax for a bright palette index', '\x1b[48;5;12m', '\x1b[104m'],
    ['truecolor fg', '\x1b[38;2;1;2;3m', '\x1b[38;2;1;2;3m'],
    ['truecolor bg', '\x1b[48;2;255;128;0m', '\x1b[48;2;255;128;0m'],
  ])('%s', async (_name, input, sgr) => {
    const term = await termWith(`${input}abc${RESET}`);
    expect(renderRow(term, 0)).toBe(`${sgr}abc${RESET}${spaces(17)}${RESET}`);
  });

  it('combines fg and bg of different kinds in one sequence', async () => {
    const term = await termWith('\x1b[38;2;10;20;30;48;5;200mX');
    expect(renderRow(term, 0)).toBe(`\x1b[38;2;10;20;30;48;5;200mX${RESET}${spaces(19)}${RESET}`);
  });

  it('fills erased cells with the background colour set at erase time', async () => {
    const term = await termWith('\x1b[44m\x1b[K');
    expect(renderRow(term, 0)).toBe(`\x1b[44m${spaces(20)}${RESET}`);
  });
});

describe('renderRow: attributes', () => {
  it.each([
    ['bold', 1],
    ['dim', 2],
    ['italic', 3],
    ['underline', 4],
    ['blink', 5],
    ['inverse', 7],
    ['invisible', 8],
    ['strikethrough', 9],
    ['overline', 53],
  ])('%s', async (_name, code) => {
    const term = await termWith(`\x1b[${code}mab${RESET}`);
    expect(renderRow(term, 0)).toBe(`\x1b[${code}mab${RESET}${spaces(18)}${RESET}`);
  });

  it('emits all attributes and colours of a cell in one SGR', async () => {
    const term = await termWith('\x1b[1;3;4;9;31;44mX');
    expect(renderRow(term, 0)).toBe(`\x1b[1;3;4;9;31;44mX${RESET}${spaces(19)}${RESET}`);
  });

  it('treats curly underline as underline', async () => {
    const term = await termWith('\x1b[4:3mX');
    expect(renderRow(term, 0)).toBe(`\x1b[4mX${RESET}${spaces(19)}${RESET}`);
  });
});

describe('renderRow: runs', () => {
  it('emits one SGR per run of identical attributes, not one per cell', async () => {
    const term = await termWith(`\x1b[1;32m${'x'.repeat(20)}`);
    const row = renderRow(term, 0);
    expect(row).toBe(`\x1b[1;32m${'x'.repeat(20)}${RESET}`);
    expect(row.split('\x1b[').length - 1).toBe(2);
  });

  it('resets between runs so no attribute leaks into the next run', async () => {
    const term = await termWith(`\x1b[1;31mab\x1b[22mcd${RESET}ef`);
    // "cd" is red but not bold: the second SGR must start with a reset.
    expect(renderRow(term, 0)).toBe(`\x1b[1;31mab\x1b[0;31mcd${RESET}ef${spaces(14)}${RESET}`);
  });

  it('emits nothing for a row in default style even after styled rows', async () => {
    const term = await termWith(`\x1b[31mred${RESET}\r\nplain`);
    expect(renderRow(term, 1)).toBe('plain' + spaces(15));
  });
});

describe('renderRow: wide and unusual characters', () => {
  it('outputs a wide char once and skips its right half', async () => {
    const term = await termWith('日本', 10);
    const row = renderRow(term, 0);
    expect(row).toBe('日本' + spaces(6));
    expect(stringWidth(row)).toBe(10);
  });

  it('keeps columns aligned after wide chars', async () => {
    const term = await termWith('a日b\r\n0123', 10);
    expect(renderRow(term, 0)).toBe('a日b' + spaces(6));
    expect(renderRow(term, 1)).toBe('0123' + spaces(6));
  });

  it('styles a wide char as one cell', async () => {
    const term = await termWith(`\x1b[31m日${RESET}x`, 10);
    expect(renderRow(term, 0)).toBe(`\x1b[31m日${RESET}x${spaces(7)}${RESET}`);
  });

  it('wraps a wide char that does not fit in the last column', async () => {
    const term = await termWith('abcd日', 5);
    expect(renderRow(term, 0)).toBe('abcd ');
    expect(renderRow(term, 1)).toBe('日   ');
  });

  it('keeps a combining sequence in one cell', async () => {
    const term = await termWith('e\u0301x', 5);
    expect(renderRow(term, 0)).toBe('e\u0301x   ');
    expect(stringWidth(renderRow(term, 0))).toBe(5);
  });

  it('replaces an emoji that xterm gives one cell but Ink counts as two', async () => {
    const term = await termWith('😀|', 5);
    const row = renderRow(term, 0);
    expect(stringWidth(row)).toBe(5);
    expect(row).toBe('\ufffd|   ');
  });

  it('blanks a char that Ink counts as zero wide but xterm gives a cell (soft hyphen)', async () => {
    const term = await termWith('a\u00adb', 5);
    expect(renderRow(term, 0)).toBe('a b  ');
  });

  it.each([
    ['CJK', '日本語のテキスト'],
    ['Hangul and fullwidth', '한국어 ＡＢＣ'],
    ['emoji', '😀✅⚡☕👍🏽👨‍👩‍👧🇫🇷'],
    ['box drawing and symbols', '┌─┐│★→©°±'],
    ['zero-width characters', '\u200ba\u200bb\u00ad'],
    ['combining marks', 'a\u0301\u0302b\u0308'],
    ['mixed with colours', '\x1b[31m日\x1b[42m😀\x1b[1mé\x1b[0m─'],
  ])('every row is exactly cols wide as string-width measures it: %s', async (_name, text) => {
    for (const cols of [7, 8, 13]) {
      const term = await termWith(text.repeat(4), cols, 6);
      for (const row of renderScreen(term, true)) expect(stringWidth(row)).toBe(cols);
    }
  });

  it('a wide char left in the last column by a narrowing resize still fits the width', async () => {
    const term = await termWith('abcd日', 6, 3);
    term.resize(5, 3);
    for (const row of renderScreen(term, false)) expect(stringWidth(row)).toBe(5);
  });
});

describe('renderRow: cursor', () => {
  it('draws the cursor as an inverse cell', async () => {
    const term = await termWith('abc');
    expect(renderRow(term, 0, 1)).toBe(`a${INV}b${RESET}c${spaces(17)}${RESET}`);
  });

  it('draws the cursor on an empty cell', async () => {
    const term = await termWith('abc');
    expect(renderRow(term, 0, 3)).toBe(`abc${INV} ${RESET}${spaces(16)}${RESET}`);
  });

  it('un-inverses a cell that is already inverse', async () => {
    const term = await termWith('\x1b[7mabc');
    expect(renderRow(term, 0, 1)).toBe(`${INV}a${RESET}b${INV}c${RESET}${spaces(17)}${RESET}`);
  });

  it('keeps the cell colours under the cursor', async () => {
    const term = await termWith('\x1b[31mabc');
    expect(renderRow(term, 0, 0)).toBe(`\x1b[7;31ma\x1b[0;31mbc${RESET}${spaces(17)}${RESET}`);
  });

  it('clamps a cursor past the last column (wrap pending) to the last column', async () => {
    const term = await termWith('x'.repeat(20));
    expect(term.buffer.active.cursorX).toBe(20);
    expect(renderRow(term, 0, 20)).toBe(`${'x'.repeat(19)}${INV}x${RESET}`);
  });

  it('covers the whole wide char when on either half', async () => {
    const term = await termWith('a日b', 10);
    const expected = `a${INV}日${RESET}b${spaces(6)}${RESET}`;
    expect(renderRow(term, 0, 1)).toBe(expected);
    expect(renderRow(term, 0, 2)).toBe(expected);
  });
});

describe('renderScreen', () => {
  it('returns rows strings, each exactly cols wide', async () => {
    const term = await termWith('one\r\ntwo', 12, 4);
    const screen = renderScreen(term, false);
    expect(screen).toEqual(['one' + spaces(9), 'two' + spaces(9), spaces(12), spaces(12)]);
  });

  it('draws the cursor where the terminal cursor is', async () => {
    const term = await termWith('one\r\ntw', 12, 4);
    const screen = renderScreen(term, true);
    expect(screen[0]).toBe('one' + spaces(9));
    expect(screen[1]).toBe(`tw${INV} ${RESET}${spaces(9)}${RESET}`);
  });

  it('does not draw the cursor when showCursor is false', async () => {
    const term = await termWith('one', 12, 4);
    expect(renderScreen(term, false).join('')).not.toContain(INV);
  });

  it('does not draw a cursor the program hid with DECTCEM, and draws it again once shown', async () => {
    const term = await termWith('one\x1b[?25l', 12, 4);
    expect(isCursorHidden(term)).toBe(true);
    expect(renderScreen(term, true).join('')).not.toContain(INV);
    await write(term, '\x1b[?25h');
    expect(isCursorHidden(term)).toBe(false);
    expect(renderScreen(term, true)[0]).toBe(`one${INV} ${RESET}${spaces(8)}${RESET}`);
  });

  it('shows the alternate screen while it is active, and the normal one after', async () => {
    const term = await termWith('main screen\r\nline 2', 12, 3);
    await write(term, '\x1b[?1049h\x1b[H\x1b[2Jalt');
    expect(term.buffer.active.type).toBe('alternate');
    expect(renderScreen(term, false)).toEqual(['alt' + spaces(9), spaces(12), spaces(12)]);
    expect(renderScreen(term, true)[0]).toBe(`alt${INV} ${RESET}${spaces(8)}${RESET}`);
    await write(term, '\x1b[?1049l');
    expect(renderScreen(term, false)).toEqual(['main screen ', 'line 2' + spaces(6), spaces(12)]);
  });

  it('shows the viewport, not the top of the scrollback', async () => {
    const term = await termWith(['l1', 'l2', 'l3', 'l4', 'l5'].join('\r\n'), 4, 3);
    expect(renderScreen(term, true)).toEqual(['l3  ', 'l4  ', `l5${INV} ${RESET} ${RESET}`]);
  });

  it('shows scrolled-back lines and no cursor when the cursor is below the viewport', async () => {
    const term = await termWith(['l1', 'l2', 'l3', 'l4', 'l5'].join('\r\n'), 4, 3);
    term.scrollToTop();
    expect(renderScreen(term, true)).toEqual(['l1  ', 'l2  ', 'l3  ']);
  });

  it('does not allocate a cell per row or per cell', async () => {
    const term = await termWith('abc\r\ndef', 10, 5);
    const proto = Object.getPrototypeOf(term.buffer.active) as { getNullCell: () => unknown };
    const spy = vi.spyOn(proto, 'getNullCell');
    try {
      renderScreen(term, true);
      renderScreen(term, true);
      expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('Ink draws every rendered row on exactly one line, unwrapped', async () => {
    const cols = 16;
    const rows = 6;
    const text = '\x1b[1;31mbold red\x1b[0m 日本語 😀 ok \x1b[38;2;1;2;3;48;5;17mtrue\x1b[0m ─┼─ e\u0301 ';
    const term = await termWith(text.repeat(3), cols, rows);
    const screen = renderScreen(term, true);
    const tree = createElement(
      Box,
      { flexDirection: 'column', width: cols },
      ...screen.map((row, i) => createElement(Text, { key: i, wrap: 'wrap' }, row)),
    );
    const lines = renderToString(tree, { columns: cols + 10 }).split('\n');
    // Ink trims trailing blanks of each output line, so compare the visible text.
    const visible = (s: string): string => stripVTControlCharacters(s).trimEnd();
    expect(lines.map(visible)).toEqual(screen.map(visible));
    expect(screen.map(visible).join('')).toContain('日本語');
  });
});
