import { Box, Text } from 'ink';
import type { Pane } from '../src/term/pane.ts';
import { renderScreen } from '../src/term/render.ts';
import type { PaneTitle as Title } from '../src/session/pane-title.ts';
import { PaneTitle } from './PaneTitle.tsx';

export interface PaneViewProps {
  readonly name: string;
  readonly pane: Pane;
  readonly focused: boolean;
  readonly title: Title | null;
  readonly exited: boolean;
  readonly cols: number;
  readonly rows: number;
  /** Changes whenever the screen may have changed; rows are re-read then. */
  readonly frame: number;
}

/** One terminal pane: a title line, then the emulator's screen inside a border. */
export function PaneView({ name, pane, focused, title, exited, cols, rows }: PaneViewProps) {
  const lines = renderScreen(pane.term, focused && !exited);
  return (
    <Box flexDirection="column" width={cols + 2}>
      <PaneTitle name={name} focused={focused} title={title} exited={exited} width={cols + 2} />
      <Box flexDirection="column" borderStyle={focused ? 'bold' : 'round'} borderColor={focused ? 'cyan' : 'gray'} width={cols + 2} height={rows + 2}>
        {lines.slice(0, rows).map((line, y) => (
          <Text key={y} wrap="truncate">
            {line}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
