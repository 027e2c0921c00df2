/**
 * The frame around a pane on the outer screen: its two title lines above, then a border around
 * its rows. The ScreenWriter draws it, not Ink: a focus switch then rewrites only these cells.
 * (Drawn by Ink, every Ctrl-g Tab re-rendered the whole screen, 10-20 ms of this thread on a
 * quiet machine and 30-50 ms while the other pane floods: the slowest echo of every keystroke
 * typed right after a pane switch.) Its look is the one Ink drew: a bold cyan border for the
 * focused pane, a round grey one for the other.
 */

import { fitWidth } from './width.ts';

/** Rows of the chrome above a pane's first row: two title lines and the top border. */
export const CHROME_ABOVE = 3;

/** A pane's two title lines, for either state of the focus (src/session/pane-title.ts). */
export interface PaneTitles {
  readonly focused: readonly [string, string];
  readonly unfocused: readonly [string, string];
}

/** One run of chrome cells on one screen row: `text` is styled, `x` its first column. */
export interface ChromeSegment {
  readonly x: number;
  readonly text: string;
}

const RESET = '\x1b[0m';

/** SGR codes (ECMA-48 8.3.117) of each part; the same colours chalk gave Ink. */
const STYLE = {
  focused: { title: '1;36', subtitle: '33', border: '36' },
  unfocused: { title: '', subtitle: '2', border: '90' },
} as const;

/** cli-boxes' "bold" (focused) and "round" borders, as Ink drew them. */
const BORDER = {
  focused: { topLeft: '┏', top: '━', topRight: '┓', side: '┃', bottomLeft: '┗', bottom: '━', bottomRight: '┛' },
  unfocused: { topLeft: '╭', top: '─', topRight: '╮', side: '│', bottomLeft: '╰', bottom: '─', bottomRight: '╯' },
} as const;

/**
 * The chrome of a pane whose rows start at (x, y) and are `cols` x `rows`, by screen row (0-based):
 * from y - CHROME_ABOVE to y + rows. Titles are padded to the full width, so a shorter title
 * leaves nothing of a longer one behind. `styled` false: no SGR at all (NO_COLOR).
 */
export function chromeRows(x: number, y: number, cols: number, rows: number, titles: PaneTitles, focused: boolean, styled: boolean): Map<number, ChromeSegment[]> {
  const state = focused ? 'focused' : 'unfocused';
  const style = (codes: string, text: string) => (styled && codes ? `${RESET}\x1b[${codes}m${text}${RESET}` : `${RESET}${text}`);
  const box = BORDER[state];
  const width = cols + 2;
  const [title, subtitle] = focused ? titles.focused : titles.unfocused;
  const pad = (text: string) => fitWidth(text, width, true);
  const out = new Map<number, ChromeSegment[]>();
  const left = x - 1;
  out.set(y - 3, [{ x: left, text: style(STYLE[state].title, pad(title)) }]);
  out.set(y - 2, [{ x: left, text: style(STYLE[state].subtitle, pad(subtitle || '')) }]);
  out.set(y - 1, [{ x: left, text: style(STYLE[state].border, box.topLeft + box.top.repeat(cols) + box.topRight) }]);
  const side = style(STYLE[state].border, box.side);
  for (let r = 0; r < rows; r++) {
    out.set(y + r, [
      { x: left, text: side },
      { x: x + cols, text: side },
    ]);
  }
  out.set(y + rows, [{ x: left, text: style(STYLE[state].border, box.bottomLeft + box.bottom.repeat(cols) + box.bottomRight) }]);
  return out;
}
