import { describe, expect, it } from 'vitest';
import { printable } from '../src/printable.ts';

describe('printable', () => {
  it('keeps ordinary text, including wide and accented characters', () => {
    expect(printable('bash (pid 42) — 日本 é')).toBe('bash (pid 42) — 日本 é');
  });

  it('defuses escape sequences a lab could plant in a process name or a file', () => {
    const osc52 = '\x1b]52;c;ZXZpbA==\x07';
    expect(printable(osc52)).toBe('^[]52;c;ZXZpbA==^G');
    expect(printable('\x1b[2J\x9b31m\x7f')).toBe('^[[2J\uFFFD31m^?');
    expect(printable('a\nb\tc')).toBe('a b c');
  });
});
