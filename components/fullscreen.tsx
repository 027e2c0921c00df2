/**
 * Ink on the full screen. Ink never writes to the terminal itself: it renders into a sink
 * (debug mode: every commit writes its whole frame, unthrottled, no erasing), and the
 * ScreenWriter puts that frame and the panes' rows on the terminal, writing only what changed
 * (src/term/screen-writer.ts). Pane output does not go through React at all. The terminal
 * itself (alternate screen, raw keys, signals) is src/term/terminal.ts.
 */
import { EventEmitter } from 'node:events';
import type { ReactElement } from 'react';
import { render } from 'ink';
import { ScreenWriter } from '../src/term/screen-writer.ts';
import { ScreenWriterContext } from './PaneView.tsx';

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

/** Ink and the ScreenWriter drawing `element`; no terminal of its own. */
export interface Screen {
  readonly writer: ScreenWriter;
  resize(columns: number, rows: number): void;
  rerender(element: ReactElement): void;
  unmount(): void;
}

/** Ink's views drawn through `writer` (which may already show the panes, src/term/terminal.ts). */
export function mountInk(element: ReactElement, writer: ScreenWriter, columns: number, rows: number): Screen {
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

/**
 * A writer of its own into `write` (tests draw into a headless terminal). NO_COLOR: the chrome
 * the writer draws goes without SGR, as Ink's text does (see loadUi).
 */
export function mountScreen(element: ReactElement, write: (data: string) => void, columns: number, rows: number): Screen {
  return mountInk(element, new ScreenWriter(write, rows, !process.env.NO_COLOR), columns, rows);
}
