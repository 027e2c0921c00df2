/**
 * Reading the real TUI's screen as a student does: is every row whole (no box cut, shifted or
 * overprinted), and what does the lab panel say, all of it (scrolled through full-screen).
 */
import type { AppUnderTest } from './app.ts';

const LEFT = new Set(['│', '┃', '╭', '╰', '┏', '┗']);
const RIGHT = new Set(['│', '┃', '╮', '╯', '┓', '┛']);

/**
 * Waits until the frame is whole and stays whole for `holdMs` (nslab may take a few frames to
 * catch up with a burst of resizes on a loaded machine); returns the problems left otherwise.
 */
export async function settledFrame(app: AppUnderTest, holdMs = 1000, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let wholeSince: number | null = null;
  while (Date.now() < deadline) {
    const problems = frameProblems(app);
    if (problems.length === 0) {
      wholeSince ??= Date.now();
      if (Date.now() - wholeSince >= holdMs) return [];
    } else wholeSince = null;
    await new Promise((r) => setTimeout(r, 50));
  }
  return frameProblems(app);
}

/** Waits until the screen has not changed for `quietMs`. */
export async function stable(app: AppUnderTest, quietMs = 300, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = app.screen();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    const now = app.screen();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return now;
  }
  return last;
}

/**
 * What is wrong with the frame: every row that starts a box must end it at the last column
 * (a row that is cut, wider than the terminal or shifted by an overprint does not), and the
 * rows between the first box top and the last box bottom all belong to boxes.
 */
export function frameProblems(app: AppUnderTest): string[] {
  const rows = app.screen().split('\n');
  const cols = app.term.cols;
  const problems: string[] = [];
  const boxRows = rows.map((r, y) => ({ r, y })).filter(({ r }) => LEFT.has(r[0] ?? ''));
  if (boxRows.length === 0) return ['no box on the screen'];
  for (const { r, y } of boxRows) {
    const chars = [...r];
    if (chars.length !== cols || !RIGHT.has(chars[cols - 1] ?? '')) problems.push(`row ${y} does not end its box at column ${cols}: ${JSON.stringify(r)}`);
  }
  const first = boxRows[0]!.y;
  const last = boxRows[boxRows.length - 1]!.y;
  // Between boxes only the two title rows above the panes (those come before `first`).
  for (let y = first; y <= last; y++) {
    if (!LEFT.has(rows[y]![0] ?? '')) problems.push(`row ${y} inside the boxes is not a box row: ${JSON.stringify(rows[y])}`);
  }
  if (!(rows[last] ?? '').startsWith('╰')) problems.push(`the last box row ${last} is not a bottom border`);
  return problems;
}

const MARK = /(▲ \d+ more above|▼ \d+ more below)/;

/** The inner text rows of the one box on a full-screen panel screen (border and padding removed). */
function panelRows(screen: string): string[] {
  const rows = screen.split('\n');
  const top = rows.findIndex((r) => r.startsWith('╭'));
  const bottom = rows.findIndex((r, i) => i > top && r.startsWith('╰'));
  return rows.slice(top + 1, bottom).map((r) => [...r].slice(2, -2).join('').trimEnd());
}

/**
 * Everything the lab panel says, in order: opened full-screen (Ctrl-g f) and scrolled one row
 * at a time (↓) until nothing is left below. `headerRows`: the pinned rows at its top.
 */
export async function readPanel(app: AppUnderTest, headerRows: number): Promise<{ header: string[]; body: string[] }> {
  app.type('\x07f');
  await app.waitFor((s) => !s.includes('┃') && s.startsWith('╭'), 'the panel full-screen');
  let screen = await stable(app, 200);
  let rows = panelRows(screen);
  // From the top: the panel keeps where it was scrolled to.
  while (rows.length > 0 && /more above/.test(rows[rows.length - 1]!)) {
    const before = screen;
    app.type('\x1b[5~');
    await app.waitFor((s) => s !== before, 'the panel scrolled up');
    screen = await stable(app, 100);
    rows = panelRows(screen);
  }
  const header = rows.slice(0, headerRows);
  const withMark = (rs: string[]) => rs.length > 0 && MARK.test(rs[rs.length - 1]!);
  const body = rows.slice(headerRows, withMark(rows) ? -1 : undefined);
  while (withMark(rows) && rows[rows.length - 1]!.includes('more below')) {
    const before = screen;
    app.type('\x1b[B');
    await app.waitFor((s) => s !== before, 'the panel scrolled a row');
    screen = await stable(app, 100);
    rows = panelRows(screen);
    body.push(rows[rows.length - (withMark(rows) ? 2 : 1)]!);
  }
  app.type('\x1b');
  await app.waitFor((s) => s.includes('┃'), 'the panes back');
  return { header, body };
}

/** Text with all whitespace removed: wrapping (and hanging indents) cannot change it. */
export const squeeze = (text: string): string => text.replace(/\s+/g, '');
