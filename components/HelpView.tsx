import { Box, Text } from 'ink';

const KEYS: ReadonlyArray<readonly [string, string]> = [
  ['Ctrl-g Tab', 'move the focus to the other pane'],
  ['Ctrl-g h', 'next hint for this step (labs)'],
  ['Ctrl-g s', 'show the solution, after a confirm (labs)'],
  ['Ctrl-g r', 'reset: a fresh lab world in its starting state'],
  ['Ctrl-g l', 'back to the lab list'],
  ['Ctrl-g i', 'the live inspector over the other pane: namespaces, mounts, links (again: next view, then closed)'],
  ['Ctrl-g n', 'presenter mode: type the next line of the reference solution'],
  ['Ctrl-g 1…9', 'presenter mode: a fresh world at that step'],
  ['Ctrl-g ?', 'this help (again to close)'],
  ['Ctrl-g q', 'quit; the kernel removes everything the lab made'],
  ['Ctrl-g Ctrl-g', 'send a literal Ctrl-g to the pane'],
];

/** Help text, shown in place of the panes while open. */
export function HelpView({ width, height }: { width: number; height: number }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" width={width} height={height} paddingX={1}>
      <Text bold>nslab keys</Text>
      <Text> </Text>
      {KEYS.map(([key, what]) => (
        <Text key={key}>
          <Text color="cyan">{key.padEnd(16)}</Text>
          {what}
        </Text>
      ))}
      <Text> </Text>
      <Text>Every other key goes to the focused pane unchanged: Ctrl-C, Ctrl-D, Ctrl-Z, arrows, F-keys, Alt, paste.</Text>
      <Text>The left pane is a shell on the lab host; the right pane is a shell in the container.</Text>
      <Text>Both live in a throwaway lab world: nothing typed here can change the real machine.</Text>
    </Box>
  );
}
