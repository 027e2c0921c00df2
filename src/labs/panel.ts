/**
 * What the lab panel says, as lines already wrapped to its width: the view draws them one row
 * each, so nothing is cut ("…") or overprinted, and the layout knows how many rows it needs.
 * The header stays put; the body scrolls (Ctrl-g ↑/↓, or Ctrl-g f full-screen) behind a
 * visible "more" mark when it does not fit.
 */
import { wrapHanging, wrapText } from '../layout.ts';
import type { LabView } from './lab-session.ts';

export type PanelColor = 'green' | 'red' | 'yellow' | 'magenta' | 'cyan';

export interface PanelLine {
  readonly text: string;
  readonly color?: PanelColor;
  readonly bold?: boolean;
  readonly dim?: boolean;
}

export type StageStatus = 'starting' | 'ready' | 'failed';

export const DEFECT_TEXT = 'this check passed before you typed anything: please report it. It does not count towards this step.';

export interface PanelText {
  readonly header: readonly PanelLine[];
  readonly body: readonly PanelLine[];
}

export function panelText(view: LabView, status: StageStatus, width: number): PanelText {
  const { lab } = view;
  const step = lab.steps[Math.min(view.stepIndex, lab.steps.length - 1)]!;
  const stepNumber = Math.min(view.stepIndex + 1, lab.steps.length);
  const header = wrapText(`${lab.title} · step ${stepNumber}/${lab.steps.length}: ${step.title}`, width).map(
    (text): PanelLine => ({ text, bold: true, color: view.complete ? 'green' : 'cyan' }),
  );
  const body: PanelLine[] = [];
  const add = (lines: string[], style: Omit<PanelLine, 'text'> = {}) => {
    for (const text of lines) body.push({ text, ...style });
  };

  if (view.complete) {
    add(wrapText("✓ Lab complete. Every step's checks passed against the kernel's state.", width), { color: 'green', bold: true });
    add(wrapText('Ctrl-g l returns to the lab list; Ctrl-g r starts this lab again in a fresh world.', width));
    return { header, body };
  }
  if (status === 'starting') {
    add(wrapText(view.catchingUp ?? 'Starting a fresh lab world in the lab\'s starting state…', width), { dim: true });
    return { header, body };
  }
  if (status === 'failed') {
    add(wrapText('The lab world could not start (see above). Ctrl-g r tries again.', width), { color: 'red' });
    return { header, body };
  }
  if (view.catchingUp) {
    add(wrapText(view.catchingUp, width), { color: 'yellow' });
    return { header, body };
  }
  if (view.stepIndex > 0) {
    const passed = view.stepIndex === 1 ? 'Step 1 passed' : `Steps 1–${view.stepIndex} passed`;
    add(wrapText(`✓ ${passed}; a passed step stays passed.`, width), { color: 'green', dim: true });
  }
  if (view.lostShell) add(wrapText(view.lostShell, width), { color: 'yellow' });
  add(wrapText(step.goal.trim(), width));

  const results = view.results;
  if (results === null) add(['Checking…'], { dim: true });
  else {
    for (const result of results) {
      if (view.defects.includes(result.id)) {
        add(wrapHanging('! ', result.title, width), { color: 'yellow', bold: true });
        add(wrapHanging('    ', `Lab defect: ${DEFECT_TEXT}`, width), { color: 'yellow' });
        continue;
      }
      if (result.skipped) {
        // Not checked on this machine: neither a tick nor a cross, and why (what would enable it).
        add(wrapHanging('– ', result.title, width), { dim: true });
        add(wrapHanging('    ', result.found, width), { dim: true });
        continue;
      }
      add(wrapHanging(result.pass ? '✓ ' : '✗ ', result.title, width), { color: result.pass ? 'green' : 'red' });
      if (result.pass) continue;
      if (view.undone.includes(result.id)) add(wrapHanging('    ', 'It was green earlier in this step: something undid it.', width), { color: 'yellow' });
      // What the kernel shows comes first: it is what the student acts on.
      add(wrapHanging('    found:    ', result.found, width), { dim: true });
      add(wrapHanging('    expected: ', result.expected, width), { dim: true });
    }
    if (results.length > 0 && results.every((r) => view.defects.includes(r.id))) {
      add(wrapText('Every check of this step passed before you typed anything, so nslab cannot tell when you have done it. Please report it; Ctrl-g l chooses another lab.', width), { color: 'yellow' });
    }
  }
  for (const [i, hint] of step.hints.slice(0, view.hintsShown).entries()) {
    add(wrapHanging(`Hint ${i + 1}: `, hint, width), { color: 'yellow' });
  }
  if (view.hintsShown > 0 && view.hintsShown < step.hints.length) add([`(Ctrl-g h: hint ${view.hintsShown + 1} of ${step.hints.length})`], { dim: true });
  if (view.solution === 'confirm') add(wrapText('Show the solution? Ctrl-g s again to see it.', width), { color: 'magenta' });
  if (view.solution === 'shown') {
    add(['Solution:'], { color: 'magenta', bold: true });
    for (const line of step.solution) add(wrapHanging(`${line.pane.padEnd(9)} $ `, line.command, width), { color: 'magenta' });
  }
  return { header, body };
}

/** Rows the panel's text needs (header + body), for the layout. */
export function panelRowsNeeded(text: PanelText): number {
  return text.header.length + text.body.length;
}

export interface PanelWindow {
  readonly lines: readonly PanelLine[];
  /** The "more" mark for the last row, when the body does not fit. */
  readonly mark: string | null;
  /** The offset actually used (clamped). */
  readonly offset: number;
}

/** The rows of `text` that fit in `rows`, scrolled by `offset`, with a mark saying what is hidden. */
export function panelWindow(text: PanelText, rows: number, offset: number, full: boolean): PanelWindow {
  const room = Math.max(0, rows - text.header.length);
  if (text.body.length <= room) return { lines: [...text.header, ...text.body], mark: null, offset: 0 };
  const visible = Math.max(0, room - 1); // the last row is the mark
  const start = Math.min(Math.max(0, offset), text.body.length - visible);
  const above = start;
  const below = text.body.length - start - visible;
  const keys = full ? '↑ ↓ PgUp PgDn scroll · Esc closes' : 'Ctrl-g ↑↓ scroll · Ctrl-g f full screen';
  const parts = [above > 0 ? `▲ ${above} more above` : '', below > 0 ? `▼ ${below} more below` : ''].filter(Boolean);
  return { lines: [...text.header, ...text.body.slice(start, start + visible)], mark: `${parts.join(' · ')} — ${keys}`, offset: start };
}
