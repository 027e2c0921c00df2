/**
 * The outer terminal, taken over for a full-screen view: alternate screen, raw keys, resizes,
 * signals, and the terminal restored on every way out but SIGKILL (which the kernel-owned lab
 * lifetime covers for the lab itself). No React here: the playground's panes are drawn through
 * the ScreenWriter before Ink is even loaded (paintStage), and the Ink views attach to the same
 * writer once they are (components/fullscreen.tsx).
 *
 * Why: loading Ink, React and the views and their first render take about a quarter of a
 * second of this process's only thread (measured in a 160x45 PTY, bench/launch.ts); with the
 * panes drawn first, that time comes after both prompts are on the screen instead of before.
 */
import type { CastRecorder } from '../record/asciicast.ts';
import { tapStdout } from '../record/asciicast.ts';
import { FIRST_FOCUS, PANE_IDS } from '../session/session.ts';
import { titleLines } from '../session/pane-title.ts';
import type { Stage } from '../world/stage.ts';
import { CHROME_ABOVE } from './pane-chrome.ts';
import { ScreenWriter } from './screen-writer.ts';
import { TerminalOutput } from './terminal-output.ts';

/**
 * Autowrap (DECAWM) off while nslab draws: a row written for a wider terminal than the one
 * that just resized (a frame in flight during a resize) then stops at the last column instead
 * of wrapping onto the next row and, at the bottom, scrolling the whole screen up.
 */
const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[?7l\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l';

export interface TerminalHandlers {
  readonly onInput: (chunk: string) => void;
  /** The views re-lay out, then redraw the writer at the new size (Screen.resize). */
  readonly onResize: (columns: number, rows: number) => void;
  /** SIGTERM, SIGHUP, SIGINT: quit as if the user had asked. */
  readonly onSignal: (signal: NodeJS.Signals) => void;
}

export interface TerminalHandle {
  /** The one writer of the outer screen. */
  readonly writer: ScreenWriter;
  /**
   * Where keys, resizes and signals go from now on. Until then keys and signals wait, in
   * order (none is lost; a key typed at the first prompts is echoed once the views are up).
   */
  route(handlers: TerminalHandlers): void;
  /** Tears the screen down and restores the terminal; idempotent. */
  restore(): void;
}

/** The longest the first frame waits for the first stage to open (a slow machine: the person sees it coming). */
export const FIRST_FRAME_WAIT_MS = 1_000;

export function takeTerminal(recorder?: CastRecorder): TerminalHandle {
  const { stdin, stdout } = process;
  const size = () => ({ columns: stdout.columns ?? 80, rows: stdout.rows ?? 24 });
  // Every byte drawn goes into the recording, the first frame too; its resize event ("r")
  // precedes the redraw.
  const untap = recorder ? tapStdout(stdout, (data) => recorder.output(data)) : () => {};
  const onRecordedResize = () => recorder?.resize(size().columns, size().rows);
  stdout.on('resize', onRecordedResize);
  stdout.write(ENTER_ALT_SCREEN);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  let handlers: TerminalHandlers | null = null;
  const waiting: Array<(h: TerminalHandlers) => void> = [];
  const deliver = (event: (h: TerminalHandlers) => void) => (handlers ? event(handlers) : waiting.push(event));
  const onData = (chunk: string) => deliver((h) => h.onInput(chunk));
  stdin.on('data', onData);
  stdin.resume();
  // Frames never wait for a terminal that reads slowly (terminal-output.ts); where standard
  // output cannot be reopened, they go through process.stdout, which does.
  const output = TerminalOutput.open(() => writer.drained(), (data) => recorder?.output(data));
  // NO_COLOR: the chrome goes without SGR, as Ink's text does (src/cli.ts, loadUi).
  const writer = new ScreenWriter(output ? (data) => output.write(data) : (data) => void stdout.write(data), size().rows, !process.env.NO_COLOR);
  // The session's layout first (the views re-render at the new size), then the screen: no
  // frame of the old size is drawn on the new screen. Before the views are up there is no
  // layout to tell: the writer redraws what it has, and the views start at the new size.
  const onResize = () => {
    const { columns, rows } = size();
    if (handlers) handlers.onResize(columns, rows);
    else writer.resize(rows);
  };
  stdout.on('resize', onResize);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => deliver((h) => h.onSignal(signal));
  for (const signal of signals) process.on(signal, onSignal);

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    writer.dispose();
    stdin.off('data', onData);
    stdout.off('resize', onResize);
    stdout.off('resize', onRecordedResize);
    for (const signal of signals) process.off(signal, onSignal);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    if (output) output.finish(LEAVE_ALT_SCREEN);
    else stdout.write(LEAVE_ALT_SCREEN);
    untap();
  };
  process.once('exit', restore);
  // A crash: put the terminal back first, so the message lands on the main screen. The lab
  // world needs nothing: its parent-death signal fires when this process exits.
  process.once('uncaughtException', (error) => {
    restore();
    process.stderr.write(`nslab crashed: ${process.env.NSLAB_DEBUG ? error.stack : error.message}\nThe lab world is gone with it; nothing was left on this machine.\n`);
    process.exit(70); // EX_SOFTWARE
  });
  return {
    writer,
    route: (next) => {
      handlers = next;
      for (const event of waiting.splice(0)) event(next);
    },
    restore,
  };
}

/**
 * Where each pane's rows start on the screen (0-based cell of the top-left corner) in the
 * playground's layout: its title lines and top border above, a border to the left, the host
 * pane first (components/StageScreen.tsx, PaneView.tsx). Ink's own layout places them there
 * too; test/e2e-screen.test.ts compares the two.
 */
export function playgroundPaneOrigins(paneCols: number): Record<'host' | 'container', { x: number; y: number }> {
  return { host: { x: 1, y: CHROME_ABOVE }, container: { x: paneCols + 2 + 1, y: CHROME_ABOVE } };
}

/**
 * The playground's first frame, before Ink: both panes with their chrome (pane-chrome.ts), the
 * focus where the session starts it, the titles as the views show them until the session has
 * read what runs in each pane (titleLines without a title). The footer comes with the views;
 * nothing drawn here is wrong later, and the views' first frame redraws every row Ink writes.
 */
export function paintStage(writer: ScreenWriter, stage: Stage): void {
  const { cols } = stage.host.term;
  const origins = playgroundPaneOrigins(cols);
  for (const id of PANE_IDS) {
    const titles = { focused: titleLines(id, true, null, false, cols + 2), unfocused: titleLines(id, false, null, false, cols + 2) };
    writer.place(id, { pane: stage[id], ...origins[id], exited: false, titles });
  }
  writer.focus(FIRST_FOCUS);
  writer.frame();
}
