/**
 * The lab list reads keys from raw input: a control sequence with ':' or '?' parameters, or an
 * OSC/DCS string, must stay one key, or its letters act as list keys (a final `q` quit the app:
 * found by the fuzz, seed 183165800).
 */
import { describe, expect, it } from 'vitest';
import { splitKeys } from '../src/navigator.ts';

describe('splitKeys', () => {
  it.each([
    ['\x1b[12:34q'],
    ['\x1b[?1;2c'],
    ['\x1b[<0;10;20M'],
    ['\x1b[1 q'],
    ['\x1b]22;xxxxq\x07'],
    ['\x1b]52;c;cXVpdA==\x1b\\'],
    ['\x1bPq#0;2;0;0;0\x1b\\'],
  ])('keeps %j whole', (seq) => {
    expect(splitKeys(seq)).toEqual([seq]);
  });

  it('still splits plain keys and arrows', () => {
    expect(splitKeys('j\x1b[Bk\x1bOA\r')).toEqual(['j', '\x1b[B', 'k', '\x1bOA', '\r']);
  });

  it('an unterminated OSC swallows the rest of its chunk, never yielding a q', () => {
    expect(splitKeys('\x1b]22;xxq')).toEqual(['\x1b]22;xxq']);
  });
});
