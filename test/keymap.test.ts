/**
 * One keymap: the README's key table, the footer and the help are drawn from KEYMAP, and the
 * footer keeps every key whole at every width nslab runs at.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KEYMAP, footerItems, keyTableMarkdown } from '../src/keymap.ts';
import { MIN_COLUMNS, computeLayout } from '../src/layout.ts';

describe('keymap', () => {
  it("the README's key table is the one drawn from KEYMAP", () => {
    // Regenerate with keyTableMarkdown() when a key is added.
    expect(readFileSync('README.md', 'utf8')).toContain(keyTableMarkdown());
  });

  it('binds no key twice', () => {
    const keys = KEYMAP.flatMap((b) => b.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each([MIN_COLUMNS, 120, 160])('the footer keeps every key whole at %i columns', (columns) => {
    for (const inLab of [true, false]) {
      const { footer, width } = computeLayout({ columns, rows: 40, inLab });
      const text = footer.keys.join('\n');
      for (const item of footerItems(inLab)) expect(text).toContain(item);
      expect(text.startsWith(' Ctrl-g ')).toBe(true);
      for (const line of footer.keys) expect(line.length).toBeLessThanOrEqual(width);
    }
  });
});
