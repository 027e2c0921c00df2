// Turns the visible rows of an @xterm/headless Terminal into strings of text + SGR escapes,
// one string per row, for Ink to draw as one <Text> each (DESIGN.md section 3).
//
// Every row is exactly term.cols columns wide *as Ink measures it* (string-width), so Ink
// never wraps or truncates a pane row. Runs of cells with identical attributes share one
// SGR sequence. The per-cell loop allocates no objects: one scratch IBufferCell is reused for
// every cell of every row, and styles are compared as plain numbers.
import type { IBuffer, IBufferCell, Terminal } from '@xterm/headless';
import stringWidth from 'string-width';

const ESC = '\x1b';
const RESET = '\x1b[0m';

// Attribute flags, packed into one number so that two cells compare with a single `!==`.
const BOLD = 1;
const DIM = 2;
const ITALIC = 4;
const UNDERLINE = 8;
const BLINK = 16;
const INVERSE = 32;
const INVISIBLE = 64;
const STRIKETHROUGH = 128;
const OVERLINE = 256;

/** The SGR parameter for each flag, in the order they are emitted. */
const FLAG_SGR: ReadonlyArray<readonly [flag: number, sgr: string]> = [
  [BOLD, '1'],
  [DIM, '2'],
  [ITALIC, '3'],
  [UNDERLINE, '4'],
  [BLINK, '5'],
  [INVERSE, '7'],
  [INVISIBLE, '8'],
  [STRIKETHROUGH, '9'],
  [OVERLINE, '53'],
];

// How a colour is given. Plain constants rather than an enum so the file stays
// erasable-syntax-only TypeScript.
const ColorKind = { Default: 0, Palette: 1, Rgb: 2 } as const;
type ColorKind = (typeof ColorKind)[keyof typeof ColorKind];

/**
 * The drawing attributes of one cell: colour kind + value (palette index 0-255 or
 * 0xRRGGBB) for fg and bg, and the flags. Plain numbers, so comparing and copying two
 * styles allocates nothing.
 */
interface Style {
  fgKind: ColorKind;
  fg: number;
  bgKind: ColorKind;
  bg: number;
  flags: number;
}

function defaultStyle(): Style {
  return { fgKind: ColorKind.Default, fg: 0, bgKind: ColorKind.Default, bg: 0, flags: 0 };
}

const DEFAULT_STYLE: Readonly<Style> = defaultStyle();

function isDefaultStyle(s: Style): boolean {
  return s.fgKind === ColorKind.Default && s.bgKind === ColorKind.Default && s.flags === 0;
}

function sameStyle(a: Style, b: Style): boolean {
  return a.flags === b.flags && a.fgKind === b.fgKind && a.fg === b.fg && a.bgKind === b.bgKind && a.bg === b.bg;
}

function copyStyle(from: Readonly<Style>, to: Style): void {
  to.fgKind = from.fgKind;
  to.fg = from.fg;
  to.bgKind = from.bgKind;
  to.bg = from.bg;
  to.flags = from.flags;
}

function readFlags(cell: IBufferCell): number {
  // The is*() getters return the raw bit (a non-zero number), not a boolean.
  return (
    (cell.isBold() ? BOLD : 0) |
    (cell.isDim() ? DIM : 0) |
    (cell.isItalic() ? ITALIC : 0) |
    (cell.isUnderline() ? UNDERLINE : 0) |
    (cell.isBlink() ? BLINK : 0) |
    (cell.isInverse() ? INVERSE : 0) |
    (cell.isInvisible() ? INVISIBLE : 0) |
    (cell.isStrikethrough() ? STRIKETHROUGH : 0) |
    (cell.isOverline() ? OVERLINE : 0)
  );
}

function readStyle(cell: IBufferCell, into: Style): void {
  into.fgKind = cell.isFgRGB() ? ColorKind.Rgb : cell.isFgPalette() ? ColorKind.Palette : ColorKind.Default;
  // getFgColor() is -1 for the default colour; store 0 so it equals DEFAULT_STYLE.
  into.fg = into.fgKind === ColorKind.Default ? 0 : cell.getFgColor();
  into.bgKind = cell.isBgRGB() ? ColorKind.Rgb : cell.isBgPalette() ? ColorKind.Palette : ColorKind.Default;
  into.bg = into.bgKind === ColorKind.Default ? 0 : cell.getBgColor();
  into.flags = readFlags(cell);
}

/**
 * SGR parameters for one colour, '' for the default colour. `base` is 30 (foreground) or
 * 40 (background): palette 0-7 -> 30-37, 8-15 -> 90-97 (base + 60), 16-255 -> 38;5;n,
 * truecolor -> 38;2;r;g;b.
 */
function colorParams(kind: ColorKind, value: number, base: 30 | 40): string {
  switch (kind) {
    case ColorKind.Default:
      return '';
    case ColorKind.Rgb:
      return `${base + 8};2;${(value >>> 16) & 0xff};${(value >>> 8) & 0xff};${value & 0xff}`;
    case ColorKind.Palette:
      if (value < 8) return String(base + value);
      if (value < 16) return String(base + 60 + value - 8);
      return `${base + 8};5;${value}`;
  }
}

/**
 * The escape sequence that starts a run in style `s`. After a styled run it starts with a
 * reset ("0;"), so no attribute leaks from one run into the next and the individual "off"
 * codes (22, 23, 24, ...) are never needed.
 */
function sgrFor(s: Style, previousWasDefault: boolean): string {
  if (isDefaultStyle(s)) return RESET;
  const params: string[] = previousWasDefault ? [] : ['0'];
  for (const [flag, sgr] of FLAG_SGR) {
    if (s.flags & flag) params.push(sgr);
  }
  const fg = colorParams(s.fgKind, s.fg, 30);
  if (fg !== '') params.push(fg);
  const bg = colorParams(s.bgKind, s.bg, 40);
  if (bg !== '') params.push(bg);
  return `${ESC}[${params.join(';')}m`;
}

// ---------------------------------------------------------------------------------------
// Width agreement with Ink.
//
// xterm decides how many cells a character takes (its Unicode 6 tables by default), Ink
// measures our string with string-width (modern Unicode). They disagree on e.g. emoji
// (xterm: 1 cell, string-width: 2) and soft hyphens (1 vs 0). One disagreement makes the row
// wider or narrower than the pane and Ink re-wraps it, so the text we emit for a cell is
// adjusted to take exactly the cell's width as string-width counts it.

/** Characters that every terminal and string-width agree are one column wide. */
function isPlainAscii(chars: string): boolean {
  if (chars.length !== 1) return false;
  const code = chars.charCodeAt(0);
  return code >= 0x20 && code < 0x7f;
}

const widthCache = new Map<string, number>();
const WIDTH_CACHE_LIMIT = 4096;

function measuredWidth(chars: string): number {
  let w = widthCache.get(chars);
  if (w === undefined) {
    // Keep the cache bounded: a binary dump could otherwise fill it with junk forever.
    if (widthCache.size >= WIDTH_CACHE_LIMIT) widthCache.clear();
    w = stringWidth(chars);
    widthCache.set(chars, w);
  }
  return w;
}

/** Shown instead of a character that string-width would count wider than its cell. */
const TOO_WIDE_REPLACEMENT = '\ufffd';

/**
 * At most this many UTF-16 units of one cell reach the outer terminal. A cell holds its base
 * character plus every combining mark printed after it, without limit in xterm.js: "a" and a
 * thousand combining marks is one cell of 1001 units, and drawing it each frame sent megabytes
 * to the outer terminal (issue #9, finding 8). tmux keeps at most UTF8_SIZE (21) bytes a cell;
 * 16 units hold any real grapheme a terminal draws in one or two columns (an emoji with its
 * modifier and variation selector, a letter with a few accents).
 */
export const MAX_CELL_UNITS = 16;

/** The first MAX_CELL_UNITS units of a cell's text, never splitting a surrogate pair. */
function capCell(chars: string): string {
  if (chars.length <= MAX_CELL_UNITS) return chars;
  const last = chars.charCodeAt(MAX_CELL_UNITS - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? MAX_CELL_UNITS - 1 : MAX_CELL_UNITS;
  return chars.slice(0, end);
}

/** Text for one cell that string-width measures as exactly `cellWidth` columns. */
function cellText(raw: string, cellWidth: number): string {
  if (raw === '') return cellWidth === 2 ? '  ' : ' ';
  if (isPlainAscii(raw)) return raw;
  const chars = capCell(raw);
  const w = measuredWidth(chars);
  if (w === cellWidth) return chars;
  // Zero-width to string-width (soft hyphen, lone combining mark): the cell is still one
  // column on screen, and an outer terminal might draw the char 0 or 1 wide, so use blanks.
  if (w === 0) return cellWidth === 2 ? '  ' : ' ';
  if (w < cellWidth) return chars + ' '.repeat(cellWidth - w);
  return cellWidth === 2 ? `${TOO_WIDE_REPLACEMENT} ` : TOO_WIDE_REPLACEMENT;
}

// ---------------------------------------------------------------------------------------

/**
 * One scratch cell shared by all rows of all terminals. getNullCell() allocates a fresh
 * CellData each call, and a CellData is independent of the buffer it came from, so one
 * is enough: rendering is synchronous and never re-entrant.
 */
let scratchCell: IBufferCell | undefined;

function scratch(buffer: IBuffer): IBufferCell {
  scratchCell ??= buffer.getNullCell();
  return scratchCell;
}

// Reused across calls for the same reason as the scratch cell.
const runStyle = defaultStyle();
const cellStyle = defaultStyle();

type BufferLine = NonNullable<ReturnType<IBuffer['getLine']>>;

/**
 * One visible row of the terminal as a string of text + SGR escapes, exactly term.cols
 * cells wide, ending with "\x1b[0m" when it emitted any attribute.
 *
 * @param y row of the viewport, 0 = top visible row (buffer line viewportY + y).
 * @param cursorX when given, the cell at this column is drawn as the cursor: inverse video,
 *   or un-inversed if the cell is already inverse. On the right half of a wide char the
 *   cursor covers the whole char; past the last column it is clamped to the last column.
 */
export function renderRow(term: Terminal, y: number, cursorX?: number): string {
  const cols = term.cols;
  const buffer = term.buffer.active;
  const line = y >= 0 && y < term.rows ? buffer.getLine(buffer.viewportY + y) : undefined;
  if (line === undefined) return ' '.repeat(cols);

  const cell = scratch(buffer);
  const cursorCol = cursorX === undefined ? -1 : cursorColumn(line, cursorX, cols, cell);

  let out = '';
  let styled = false; // whether any SGR was emitted
  let previousWidth = 1;
  copyStyle(DEFAULT_STYLE, runStyle);

  for (let x = 0; x < cols; x++) {
    const loaded = line.getCell(x, cell) !== undefined;
    const width = loaded ? cell.getWidth() : 1;
    const isRightHalf = width === 0 && previousWidth === 2;
    previousWidth = width;
    // The left half of a wide char already drew both columns.
    if (isRightHalf) continue;

    // isAttributeDefault() is fg === 0 && bg === 0 in xterm's packed attributes, which hold
    // every colour and flag readStyle reads (extended ones too, behind a bit of bg): a default
    // cell is read with one call instead of fifteen. Most cells of a frame are default (a
    // prompt's first frame: all but a few), and the first frame runs this loop cold.
    if (loaded && !cell.isAttributeDefault()) readStyle(cell, cellStyle);
    else copyStyle(DEFAULT_STYLE, cellStyle);
    if (x === cursorCol) cellStyle.flags ^= INVERSE;
    if (!sameStyle(cellStyle, runStyle)) {
      out += sgrFor(cellStyle, isDefaultStyle(runStyle));
      copyStyle(cellStyle, runStyle);
      styled = true;
    }

    // A width-0 cell that is not a right half (a lone zero-width char, e.g. at column 0)
    // still takes a column of xterm's grid. A wide char in the last column (possible after
    // a narrowing resize) only has one column left.
    const columns = width === 0 ? 1 : Math.min(width, cols - x);
    out += cellText(loaded ? cell.getChars() : '', columns);
  }
  return styled ? out + RESET : out;
}

/** The column the cursor is drawn in: clamped to the row, moved onto a wide char's left half. */
function cursorColumn(line: BufferLine, cursorX: number, cols: number, cell: IBufferCell): number {
  // After writing the last column xterm leaves cursorX === cols (wrap pending).
  const x = Math.max(0, Math.min(cursorX, cols - 1));
  if (x > 0 && line.getCell(x, cell)?.getWidth() === 0 && line.getCell(x - 1, cell)?.getWidth() === 2) return x - 1;
  return x;
}

/**
 * Whether the program hid the cursor with DECTCEM (CSI ? 25 l).
 *
 * @xterm/headless 6 has no public API for this: `term.modes` lists DECCKM, bracketed paste,
 * mouse modes etc. but not DECTCEM. The flag lives on the internal CoreService, so it is
 * read defensively: if a future xterm moves it, the cursor is simply shown (the render
 * tests for a hidden cursor then fail and point here).
 */
export function isCursorHidden(term: Terminal): boolean {
  const core = (term as unknown as { _core?: { coreService?: { isCursorHidden?: unknown } } })._core;
  return core?.coreService?.isCursorHidden === true;
}

/**
 * All visible rows (viewport: buffer.active.viewportY .. +rows), from whichever buffer is
 * active (normal or alternate screen). The cursor is drawn (inverse) when showCursor is
 * true, the program has not hidden it, and it lies inside the viewport (it does not when
 * the user has scrolled back).
 */
export function renderScreen(term: Terminal, showCursor: boolean): string[] {
  const buffer = term.buffer.active;
  const rows = term.rows;
  const cursorRow = showCursor && !isCursorHidden(term) ? buffer.baseY + buffer.cursorY - buffer.viewportY : -1;
  const lines: string[] = [];
  for (let y = 0; y < rows; y++) {
    lines.push(y === cursorRow ? renderRow(term, y, buffer.cursorX) : renderRow(term, y));
  }
  return lines;
}
