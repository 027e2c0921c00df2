/**
 * Screen layout, the one owner of it: two panes side by side with their titles, the lab panel
 * below them, the footer. Pure arithmetic from the terminal's size and what the panel and the
 * footer have to say; the session computes it (to size the PTYs) and every view draws from
 * the session's copy, so no view can disagree with another about a size.
 */
import { displayWidth } from './term/width.ts';
import { PREFIX_LABEL, footerItems } from './keymap.ts';

export const MIN_COLUMNS = 100;
export const MIN_ROWS = 24;
/** The panes never shrink below this many rows to make room for the lab panel. */
export const MIN_PANE_ROWS = 6;
/** The lab panel keeps at least this many rows of its own (border included). */
const MIN_PANEL_ROWS = 5;
const BORDER = 2;
/** Two title lines above each pane: what runs there and where its root is; its namespaces. */
export const PANE_TITLE_ROWS = 2;
/**
 * Rows kept for notices, whether or not one is up: a notice coming and going must not resize
 * the panes (each resize is a SIGWINCH to the shells). A longer notice scrolls through them.
 */
export const NOTICE_ROWS = 2;
/** An alert (it stays until resolved) gets rows of its own, at most this many. */
const MAX_ALERT_ROWS = 3;
/**
 * Ink rewrites the whole screen each frame once its output is as tall as the terminal; one
 * row of slack keeps it on the incremental path.
 */
const INK_SLACK_ROWS = 1;
/** The lab panel's border and padding, each side. */
const PANEL_SIDE = 2;

/** Presenter mode: the goal above the panes, the checks and the next line below, no borders. */
export const PRESENTER_TOP_ROWS = 3;
export const PRESENTER_BOTTOM_ROWS = 2;
export const PRESENTER_PANEL_ROWS = PRESENTER_TOP_ROWS + PRESENTER_BOTTOM_ROWS;

export interface LayoutInput {
  readonly columns: number;
  readonly rows: number;
  /** Presenter mode: panels of fixed rows (PRESENTER_PANEL_ROWS), instead of the lab panel. */
  readonly fixedPanelRows?: number;
  /** The lab panel (labs only): rows its content needs at a given inner width; opened full-screen. */
  readonly panel?: { readonly contentRows: (innerWidth: number) => number; readonly full: boolean } | null;
  readonly inLab: boolean;
  /** What just happened (wraps, scrolls when long). */
  readonly notice?: string | null;
  /** What must stay on screen until it is resolved (a failed progress save). */
  readonly alert?: string | null;
}

export interface Layout {
  /** Inner size of each pane: the size of its PTY and emulator. */
  readonly paneCols: number;
  readonly paneRows: number;
  /** The whole width the screen uses (both panes with their borders). */
  readonly width: number;
  /** The lab panel's box height (border included), 0 without a panel; full: it replaces the panes. */
  readonly panelRows: number;
  readonly panelFull: boolean;
  /** Text width inside the lab panel, and its rows of text. */
  readonly panelInnerWidth: number;
  readonly panelInnerRows: number;
  /**
   * The footer, already wrapped: keys (never cut: they wrap by item), the alert, the notice
   * (all its lines; the footer shows NOTICE_ROWS of them at a time).
   */
  readonly footer: { readonly keys: readonly string[]; readonly alert: readonly string[]; readonly notice: readonly string[] };
  readonly tooSmall: boolean;
}

export const FOOTER_KEYS_PREFIX = ` ${PREFIX_LABEL} `;

/**
 * Wraps text to `width` columns at spaces (string-width: wide characters take two), breaking a
 * word only when it alone is wider than a line. The text is plain (lab text goes through
 * printable() first), so no escape sequences need keeping. (wrap-ansi does this too, but at
 * ~100 ms for a panel's worth of text: too slow to run on every frame.)
 */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0) return [text];
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    let lineWidth = 0;
    for (const word of paragraph.split(' ').filter((w) => w !== '')) {
      const w = displayWidth(word);
      if (lineWidth > 0 && lineWidth + 1 + w <= width) {
        line += ` ${word}`;
        lineWidth += 1 + w;
        continue;
      }
      if (lineWidth > 0) lines.push(line);
      if (w <= width) {
        line = word;
        lineWidth = w;
        continue;
      }
      // A word wider than the line: as many characters as fit, then the rest.
      line = '';
      lineWidth = 0;
      for (const char of word) {
        const cw = displayWidth(char);
        if (lineWidth + cw > width) {
          lines.push(line);
          line = '';
          lineWidth = 0;
        }
        line += char;
        lineWidth += cw;
      }
    }
    lines.push(line);
  }
  return lines;
}


/** Wraps with a first-line prefix and the rest indented under it ("found: ..." hanging indent). */
export function wrapHanging(prefix: string, text: string, width: number, indent = prefix.length): string[] {
  const lines = wrapText(text, Math.max(1, width - indent));
  return lines.map((line, i) => (i === 0 ? prefix.padEnd(indent) : ' '.repeat(indent)) + line);
}

/** The footer's key items, wrapped item by item: a key is never cut from its word. */
function footerKeyLines(inLab: boolean, presenter: boolean, width: number): string[] {
  const items = footerItems(inLab, presenter);
  const lines: string[] = [];
  let line = FOOTER_KEYS_PREFIX;
  const indent = ' '.repeat(FOOTER_KEYS_PREFIX.length);
  for (const item of items) {
    const sep = line.trim() === PREFIX_LABEL || line === indent ? '' : ' · ';
    if (line.length + sep.length + item.length > width && line !== indent && line !== FOOTER_KEYS_PREFIX) {
      lines.push(line);
      line = indent + item;
    } else line += sep + item;
  }
  lines.push(line);
  return lines;
}

export function computeLayout(input: LayoutInput): Layout {
  const { columns, rows } = input;
  const paneCols = Math.max(10, Math.floor(columns / 2) - BORDER);
  const width = (paneCols + BORDER) * 2;
  const alert = input.alert ? wrapText(input.alert, width - 1).slice(0, MAX_ALERT_ROWS) : [];
  const notice = input.notice ? wrapText(input.notice, width - 1) : [];
  const footer = { keys: footerKeyLines(input.inLab, input.fixedPanelRows !== undefined, width), alert, notice };
  const footerRows = footer.keys.length + alert.length + NOTICE_ROWS;
  // What the panes and the panel share: everything but the footer and Ink's slack row.
  const body = Math.max(0, rows - footerRows - INK_SLACK_ROWS);
  const paneChrome = BORDER + PANE_TITLE_ROWS;
  const panelInnerWidth = Math.max(10, width - PANEL_SIDE * 2);
  let panelRows = 0;
  if (input.fixedPanelRows !== undefined) panelRows = Math.min(input.fixedPanelRows, Math.max(0, body - paneChrome - 3));
  else if (input.panel) {
    const wanted = input.panel.contentRows(panelInnerWidth) + BORDER;
    const room = body - paneChrome - MIN_PANE_ROWS;
    panelRows = Math.max(Math.min(wanted, room), Math.min(MIN_PANEL_ROWS, Math.max(0, body - paneChrome - 3)));
  }
  const paneRows = Math.max(3, body - panelRows - paneChrome);
  const panelFull = Boolean(input.panel?.full);
  // Full-screen, the panel takes the panes' place; the PTYs keep their size (no SIGWINCH).
  const panelBox = panelFull ? body : panelRows;
  return {
    paneCols,
    paneRows,
    width,
    panelRows: panelBox,
    panelFull,
    panelInnerWidth,
    panelInnerRows: Math.max(0, panelBox - BORDER),
    footer,
    tooSmall: columns < MIN_COLUMNS || rows < MIN_ROWS,
  };
}
