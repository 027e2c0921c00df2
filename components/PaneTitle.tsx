import { Box, Text } from 'ink';
import { titleLines, type PaneTitle as Title } from '../src/session/pane-title.ts';

/** The two title lines above a pane, fitted to its width (src/session/pane-title.ts). */
export function PaneTitle({ name, focused, title, exited, width }: { name: string; focused: boolean; title: Title | null; exited: boolean; width: number }) {
  const [first, second] = titleLines(name, focused, title, exited, width);
  return (
    <Box flexDirection="column" width={width}>
      <Text wrap="truncate" bold={focused} color={focused ? 'cyan' : undefined}>
        {first}
      </Text>
      <Text wrap="truncate" dimColor={!focused} color={focused ? 'yellow' : undefined}>
        {second || ' '}
      </Text>
    </Box>
  );
}
