/**
 * Skipping the part of a flood that could never be seen. A program printing plain lines
 * (`seq 1 2000000`, `yes`, a build log) scrolls most of them off the screen before a person
 * could see them; parsing every one in xterm.js is what made a flood slower in nslab than in
 * tmux (whose C parser is faster). When the emulator has a backlog that begins with a long run
 * of plain text, the beginning of that run is dropped when it is provably overwritten: the
 * emulator's state afterwards (every cell of the screen and scrollback, the cursor, the
 * modes) is exactly what parsing all of it would give. test/flood.test.ts checks that claim
 * against xterm.js itself, from random starting states.
 *
 * Why it is exact. Plain text here is printable ASCII, CR and LF only: it changes no mode, no
 * attribute, no charset, no tab stop, and moves the cursor only by printing, CR and LF. With
 * the scroll region the whole screen, starting anywhere:
 * - after `rows` line feeds the cursor is on the bottom row, whatever row it started on;
 * - after `rows + scrollback` more, every row of the screen and the scrollback has scrolled in
 *   during the run (blank, in the current background, which plain text cannot change) and
 *   holds only text the run printed after that point;
 * - a CR among those later lines puts the cursor in column 0 with no wrap pending, so what
 *   follows puts it in the same column either way.
 * So a run is cut after a line feed when what follows holds a CR with at least `rows` line
 * feeds before it (the cursor is on the bottom row by then) and at least `rows + scrollback +
 * 1` after it (every row printed before that CR, at columns that may differ, has scrolled out);
 * and only when the parser is in its ground state (not inside an escape sequence or string
 * whose end is in the run) and the scroll region is the whole screen. Else nothing is skipped.
 */
import type { Terminal } from '@xterm/headless';

const LF = 0x0a;
const CR = 0x0d;

function isPlain(code: number): boolean {
  return (code >= 0x20 && code < 0x7f) || code === LF || code === CR;
}

/** Runs shorter than this are parsed as they are: not worth a look. */
const MIN_RUN = 1 << 13;

/** A character that is not plain text (isPlain). */
const NOT_PLAIN = /[^\x20-\x7e\r\n]/;

/**
 * Whether every character of `text` is plain text (isPlain). A regular expression: V8 compiles
 * it to machine code, several times faster than a loop over charCodeAt (it sees every byte of
 * a flood).
 */
export function isPlainText(text: string): boolean {
  return !NOT_PLAIN.test(text);
}

/** A place in a list of chunks: the chunk's index, the offset in it. */
export interface ChunkPoint {
  readonly chunk: number;
  readonly offset: number;
}

/**
 * Where parsing must begin in `chunks`, consecutive pieces of one run of plain text (every
 * character isPlainText): everything before the point is overwritten by the rest; null when
 * nothing can be skipped. `rows` and `scrollback` are the emulator's. It reads backwards from
 * the end only as far as the point (a few times rows + scrollback lines), whatever the length.
 */
export function overwrittenPoint(chunks: readonly string[], rows: number, scrollback: number): ChunkPoint | null {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  if (total < MIN_RUN) return null;
  // Backwards from the end of the run: first a CR with enough line feeds after it, then
  // enough line feeds before it.
  let after = 0;
  let crFound = false;
  let before = 0;
  for (let c = chunks.length - 1; c >= 0; c--) {
    const text = chunks[c]!;
    for (let i = text.length - 1; i >= 0; i--) {
      const code = text.charCodeAt(i);
      if (!crFound) {
        if (code === LF) after++;
        else if (code === CR && after > rows + scrollback) crFound = true;
      } else if (code === LF && ++before > rows) {
        return i + 1 < text.length ? { chunk: c, offset: i + 1 } : c + 1 < chunks.length ? { chunk: c + 1, offset: 0 } : null;
      }
    }
  }
  return null;
}

/**
 * The index in `text` from which it must be parsed; everything before it is plain text that
 * the rest overwrites (0: nothing can be skipped). `rows` and `scrollback` are the emulator's.
 */
export function overwrittenPrefix(text: string, rows: number, scrollback: number): number {
  let end = 0;
  while (end < text.length && isPlain(text.charCodeAt(end))) end++;
  const point = overwrittenPoint([text.slice(0, end)], rows, scrollback);
  return point ? point.offset : 0;
}

interface TerminalInternals {
  _core?: {
    _inputHandler?: { _parser?: { currentState?: number } };
    buffer?: { scrollTop?: number; scrollBottom?: number };
  };
}

/** xterm.js's ParserState.GROUND. */
const GROUND = 0;

/**
 * Whether the emulator is in a state where plain text may be skipped: parser in its ground
 * state, scroll region the whole screen. These live on xterm.js internals; when a future
 * xterm.js moves them, this answers false and nothing is ever skipped (test/flood.test.ts then
 * fails and points here).
 */
export function canSkipPlainText(term: Terminal): boolean {
  const core = (term as unknown as TerminalInternals)._core;
  const parserState = core?._inputHandler?._parser?.currentState;
  const buffer = core?.buffer;
  return parserState === GROUND && buffer?.scrollTop === 0 && buffer?.scrollBottom === term.rows - 1;
}
