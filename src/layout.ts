/**
 * Screen layout: two panes side by side, an optional lab panel below them, a footer line.
 * Pure arithmetic, shared by the session (to size the PTYs) and the views (to size boxes).
 */
export const MIN_COLUMNS = 100;
export const MIN_ROWS = 24;
/** Rows of the lab panel (goal + checks) under the panes. */
export const LAB_PANEL_ROWS = 11;
const BORDER = 2;
/** The title line above each pane. */
const TITLE_ROWS = 1;
const FOOTER_ROWS = 1;
/**
 * Ink rewrites the whole screen each frame once its output is as tall as the terminal; one
 * row of slack keeps it on the incremental path.
 */
const INK_SLACK_ROWS = 1;

export interface Layout {
  /** Inner size of each pane: the size of its PTY and emulator. */
  readonly paneCols: number;
  readonly paneRows: number;
  readonly panelRows: number;
  readonly width: number;
  readonly tooSmall: boolean;
}

/** Presenter mode: the goal above the panes, the checks and the next line below, no borders. */
export const PRESENTER_TOP_ROWS = 3;
export const PRESENTER_BOTTOM_ROWS = 2;
export const PRESENTER_PANEL_ROWS = PRESENTER_TOP_ROWS + PRESENTER_BOTTOM_ROWS;

/** `withLabPanel`: the lab panel (true), none (false), or that many rows of panel (presenter mode). */
export function computeLayout(columns: number, rows: number, withLabPanel: boolean | number): Layout {
  const panelRows = typeof withLabPanel === 'number' ? withLabPanel : withLabPanel ? LAB_PANEL_ROWS : 0;
  const paneCols = Math.max(10, Math.floor(columns / 2) - BORDER);
  const paneRows = Math.max(3, rows - panelRows - FOOTER_ROWS - INK_SLACK_ROWS - BORDER - TITLE_ROWS);
  return {
    paneCols,
    paneRows,
    panelRows,
    width: (paneCols + BORDER) * 2,
    tooSmall: columns < MIN_COLUMNS || rows < MIN_ROWS,
  };
}
