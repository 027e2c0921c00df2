/**
 * Running an Ink screen full-screen: alternate screen, raw keys to the session, resizes, and
 * the terminal restored on every way out but SIGKILL (which the kernel-owned lab lifetime
 * covers for the lab itself).
 *
 * Ink never writes to the terminal itself. It renders into a sink (debug mode: every commit
 * writes its whole frame, unthrottled, no erasing), and the ScreenWriter puts that frame and
 * the panes' rows on the terminal, writing only what changed (src/term/screen-writer.ts).
 * Pane output does not go through React at all.
 */
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render } from 'ink';
import { ScreenWriter } from '../src/term/screen-writer.ts';
import { ScreenWriterContext } from './PaneView.tsx';

/**
 * Autowrap (DECAWM) off while nslab draws: a row written for a wider terminal than the one
 * that just resized (a frame in flight during a resize) then stops at the last column instead
 * of wrapping onto the next row and, at the bottom, scrolling the whole screen up.
 */
const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[?7l\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l';

/**
 * What Ink takes for its stdout: sized like the terminal, each write one whole frame (debug
 * mode). Ink's other writes (cli-cursor's show/hide on unmount) are not frames; the
 * ScreenWriter owns the cursor.
 */
class InkSink extends EventEmitter {
  isTTY = true;
  constructor(
    public columns: number,
    public rows: number,
    private readonly onFrame: (frame: string) => void,
  ) {
    super();
  }
  write(data: string): boolean {
    if (!/^\x1b\[\?25[hl]$/.test(data)) this.onFrame(data);
    return true;
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

/** Ink and the ScreenWriter drawing `element` through `write`; no terminal of its own. */
export interface Screen {
  readonly writer: ScreenWriter;
  resize(columns: number, rows: number): void;
  rerender(element: ReactElement): void;
  unmount(): void;
}

export function mountScreen(element: ReactElement, write: (data: string) => void, columns: number, rows: number): Screen {
  // NO_COLOR: the chrome the writer draws goes without SGR, as Ink's text does (see loadUi).
  const writer = new ScreenWriter(write, rows, !process.env.NO_COLOR);
  const sink = new InkSink(columns, rows, (frame) => writer.setInkFrame(frame));
  const wrap = (el: ReactElement) => <ScreenWriterContext.Provider value={writer}>{el}</ScreenWriterContext.Provider>;
  const ink = render(wrap(element), {
    stdout: sink as unknown as NodeJS.WriteStream,
    debug: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return {
    writer,
    resize: (newColumns, newRows) => {
      writer.resize(newRows);
      sink.resize(newColumns, newRows);
    },
    rerender: (next) => ink.rerender(wrap(next)),
    unmount: () => {
      writer.dispose();
      ink.unmount();
    },
  };
}

export interface FullscreenHandle {
  /** Tears the screen down and restores the terminal; idempotent. */
  restore(): void;
  rerender(element: ReactElement): void;
}

export interface FullscreenOptions {
  readonly onInput: (chunk: string) => void;
  readonly onResize: (columns: number, rows: number) => void;
  /** SIGTERM, SIGHUP, SIGINT: quit as if the user had asked. */
  readonly onSignal: (signal: NodeJS.Signals) => void;
}

export function runFullscreen(element: ReactElement, options: FullscreenOptions): FullscreenHandle {
  const { stdin, stdout } = process;
  stdout.write(ENTER_ALT_SCREEN);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  const onData = (chunk: string) => options.onInput(chunk);
  stdin.on('data', onData);
  stdin.resume();
  // The session's layout first (the views re-render at the new size), then the screen: no
  // frame of the old size is drawn on the new screen.
  const onResize = () => {
    options.onResize(stdout.columns ?? 80, stdout.rows ?? 24);
    screen.resize(stdout.columns ?? 80, stdout.rows ?? 24);
  };
  stdout.on('resize', onResize);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const signal of signals) process.on(signal, options.onSignal);

  // Keys never reach Ink (useInput loses ESC, F-keys and Alt); Ink only lays out and draws.
  const screen = mountScreen(element, (data) => stdout.write(data), stdout.columns ?? 80, stdout.rows ?? 24);

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    screen.unmount();
    stdin.off('data', onData);
    stdout.off('resize', onResize);
    for (const signal of signals) process.off(signal, options.onSignal);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    stdout.write(LEAVE_ALT_SCREEN);
  };
  process.once('exit', restore);
  // A crash: put the terminal back first, so the message lands on the main screen. The lab
  // world needs nothing: its parent-death signal fires when this process exits.
  process.once('uncaughtException', (error) => {
    restore();
    process.stderr.write(`nslab crashed: ${process.env.NSLAB_DEBUG ? error.stack : error.message}\nThe lab world is gone with it; nothing was left on this machine.\n`);
    process.exit(70); // EX_SOFTWARE
  });
  return { restore, rerender: (next) => screen.rerender(next) };
}
