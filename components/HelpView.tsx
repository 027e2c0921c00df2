import { Box, Text } from 'ink';
import { KEYMAP, PREFIX_LABEL, type KeyBinding } from '../src/keymap.ts';
import { wrapHanging, wrapText } from '../src/layout.ts';

/** Help, drawn from the keymap, shown in place of the panes while open; every line wrapped. */
export function HelpView({ width, height, notes }: { width: number; height: number; notes: readonly string[] }) {
  const inner = width - 4;
  const keyWidth = Math.max(...KEYMAP.map((b) => b.label.length)) + PREFIX_LABEL.length + 3;
  const lines: string[] = [
    ...(KEYMAP as readonly KeyBinding[]).flatMap((b) => wrapHanging(`${PREFIX_LABEL} ${b.label}`, `${b.does}${b.where === 'lab' ? ' (labs)' : ''}`, inner, keyWidth)),
    '',
    ...wrapText('Every other key goes to the focused pane unchanged: Ctrl-C, Ctrl-D, Ctrl-Z, arrows, F-keys, Alt, paste.', inner),
    ...wrapText('The left pane is a shell on the lab host; the right pane is a shell in the container. Each title says where its root is and which namespaces it has of its own.', inner),
    ...wrapText('Both live in a throwaway lab world: nothing typed here can change the real machine.', inner),
    ...notes.flatMap((note) => ['', ...wrapText(note, inner)]),
  ];
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" width={width} height={height} paddingX={1}>
      <Text bold>nslab keys</Text>
      {lines.slice(0, Math.max(0, height - 3)).map((line, i) => (
        <Text key={i} wrap="truncate">
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
}
