import { createContext, useContext, useLayoutEffect, useRef } from 'react';
import { Box, type DOMElement } from 'ink';
import type { Pane } from '../src/term/pane.ts';
import type { ScreenWriter } from '../src/term/screen-writer.ts';
import type { PaneTitle as Title } from '../src/session/pane-title.ts';
import { PaneTitle } from './PaneTitle.tsx';

/** The writer that draws pane rows onto the screen (components/fullscreen.tsx provides it). */
export const ScreenWriterContext = createContext<ScreenWriter | null>(null);

export interface PaneViewProps {
  readonly name: string;
  readonly pane: Pane;
  readonly focused: boolean;
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
 * One terminal pane: two title lines, then a border around an empty box of the pane's size. Ink
 * draws the title and the border; the pane's own rows are put into the box by the
 * ScreenWriter, straight from the emulator, only where they changed.
 */
export function PaneView({ name, pane, focused, title, exited, cols, rows }: PaneViewProps) {
  const writer = useContext(ScreenWriterContext);
  const inner = useRef<DOMElement>(null);
  const cursor = focused && !exited;
  // Every commit: the layout may have moved the box even when these props did not change.
  useLayoutEffect(() => {
    if (!writer || !inner.current) return;
    const { x, y } = screenPosition(inner.current);
    writer.place(name, { pane, x, y, cursor });
  });
  useLayoutEffect(() => () => writer?.place(name, null), [writer, name]);
  return (
    <Box flexDirection="column" width={cols + 2}>
      <PaneTitle name={name} focused={focused} title={title} exited={exited} width={cols + 2} />
      <Box flexDirection="column" borderStyle={focused ? 'bold' : 'round'} borderColor={focused ? 'cyan' : 'gray'} width={cols + 2} height={rows + 2}>
        <Box ref={inner} width={cols} height={rows} />
      </Box>
    </Box>
  );
}
