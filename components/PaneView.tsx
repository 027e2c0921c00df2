import { Box, Text } from 'ink';
import type { Pane } from '../src/term/pane.ts';
import { renderScreen } from '../src/term/render.ts';
import type { NamespaceSummary } from '../src/session/namespace-summary.ts';

export interface PaneViewProps {
  readonly name: string;
  readonly pane: Pane;
  readonly focused: boolean;
  readonly title: NamespaceSummary | null;
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

function PaneTitle({ name, focused, title, exited, width }: { name: string; focused: boolean; title: NamespaceSummary | null; exited: boolean; width: number }) {
  const own = title ? (title.own.length ? title.own.join(' ') : 'none') : '…';
  const shared = title ? (title.shared.length ? title.shared.join(' ') : 'none') : '…';
  return (
    <Box width={width}>
      <Text wrap="truncate" bold={focused} color={focused ? 'cyan' : undefined}>
        {focused ? '▶ ' : '  '}
        {name}
        {exited ? ' (exited)' : title ? ` · ${title.command}` : ''}
      </Text>
      <Text wrap="truncate" dimColor={!focused}>
        {'  own: '}
        <Text color="yellow">{own}</Text>
        {'  shares with host: '}
        {shared}
      </Text>
    </Box>
  );
}
