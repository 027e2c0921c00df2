import { describe, expect, it } from 'vitest';
import stringWidth from 'string-width';
import { displayWidth, fitWidth, NARROW_TEXT } from '../src/term/width.ts';
import { chromeRows } from '../src/term/pane-chrome.ts';
import { stripVTControlCharacters } from 'node:util';

describe('fitWidth', () => {
  it('counts wide characters as two columns and combining marks as none', () => {
    expect(displayWidth('ab')).toBe(2);
    expect(displayWidth('中文')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
  });

  it('measures its fast-path characters exactly as string-width does, each and together', () => {
    const narrow: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      if (NARROW_TEXT.test(char)) narrow.push(char);
    }
    expect(narrow.length).toBeGreaterThan(1000);
    expect(narrow.filter((char) => stringWidth(char) !== 1).map((char) => char.charCodeAt(0).toString(16))).toEqual([]);
    // In sequence too: no neighbour joins another into one cluster.
    const all = narrow.join('');
    expect(displayWidth(all)).toBe(stringWidth(all));
    expect(displayWidth([...narrow].reverse().join(''))).toBe(stringWidth([...narrow].reverse().join('')));
    expect(displayWidth('▶ host · …')).toBe(10);
  });

  it('cuts by columns, not characters, and pads to exactly the width', () => {
    expect(fitWidth('中文中文中文', 7)).toBe('中文中…');
    expect(displayWidth(fitWidth('中文中文中文', 8, true))).toBe(8);
    // A wide character that would straddle the edge is left out; its column is a space.
    expect(fitWidth('a中文中文', 5, true)).toBe('a中… ');
    expect(fitWidth('short', 8, true)).toBe('short   ');
    expect(fitWidth('e\u0301e\u0301', 3, true)).toBe('e\u0301e\u0301 ');
  });
});

describe('pane chrome', () => {
  it('draws each title row exactly as wide as the box, whatever the title holds', () => {
    const titles = { focused: ['▶ host · 中文中文中文中文中文 · root: /', '  own: none'], unfocused: ['  host · e\u0301e\u0301e\u0301', ''] } as const;
    for (const focused of [true, false]) {
      const rows = chromeRows(1, 3, 20, 4, titles, focused, true);
      for (const y of [0, 1, 2, 7]) expect(displayWidth(stripVTControlCharacters(rows.get(y)![0]!.text))).toBe(22);
      expect(rows.get(3)!.map((s) => s.x)).toEqual([0, 21]);
    }
  });

  it('carries no SGR at all when unstyled (NO_COLOR)', () => {
    const rows = chromeRows(1, 3, 10, 2, { focused: ['t', 's'], unfocused: ['t', 's'] }, true, false);
    for (const segments of rows.values()) for (const s of segments) expect(s.text.replace('\x1b[0m', '')).not.toMatch(/\x1b/);
  });
});
