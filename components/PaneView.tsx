import { createContext, useContext, useLayoutEffect, useRef } from 'react';
import { Box, type DOMElement } from 'ink';
import type { Pane } from '../src/term/pane.ts';
import type { ScreenWriter } from '../src/term/screen-writer.ts';
import { CHROME_ABOVE } from '../src/term/pane-chrome.ts';
import { titleLines, type PaneTitle as Title } from '../src/session/pane-title.ts';

/** The writer that draws pane rows onto the screen (components/fullscreen.tsx provides it). */
export const ScreenWriterContext = createContext<ScreenWriter | null>(null);

export interface PaneViewProps {
  readonly name: string;
  readonly pane: Pane;
  readonly title: Title | null;
  readonly exited: boolean;
  readonly cols: number;
  readonly rows: number;
}

/**
 * Where Ink placed a node on the screen: the sum of its and its ancestors' offsets in Yoga's
 * computed layout (valid in a layout effect: Ink computes the layout before it renders the
 * frame, and layout effects run after).
 */
function screenPosition(node: DOMElement): { x: number; y: number } {
  let x = 0;
  let y = 0;
  for (let n: DOMElement | undefined = node; n; n = n.parentNode) {
    x += n.yogaNode?.getComputedLeft() ?? 0;
    y += n.yogaNode?.getComputedTop() ?? 0;
  }
  return { x, y };
}

/**
 * One terminal pane: a blank box of its size with its title lines and border. Ink only reserves
 * the place; the ScreenWriter draws the titles, the border (src/term/pane-chrome.ts) and the
 * pane's own rows, straight from the emulator, only where they changed. Which pane has the
 * focus is the writer's to draw too (Session.focus), so a pane switch re-renders nothing here.
 */
export function PaneView({ name, pane, title, exited, cols, rows }: PaneViewProps) {
  const writer = useContext(ScreenWriterContext);
  const box = useRef<DOMElement>(null);
  // Every commit: the layout may have moved the box even when these props did not change.
  useLayoutEffect(() => {
    if (!writer || !box.current) return;
    const { x, y } = screenPosition(box.current);
    const width = cols + 2;
    const titles = { focused: titleLines(name, true, title, exited, width), unfocused: titleLines(name, false, title, exited, width) };
    // The pane's rows start inside the border, below the title lines.
    writer.place(name, { pane, x: x + 1, y: y + CHROME_ABOVE, exited, titles });
  });
  useLayoutEffect(() => () => writer?.place(name, null), [writer, name]);
  return <Box ref={box} width={cols + 2} height={rows + CHROME_ABOVE + 1} />;
}
