import { Box, Text } from 'ink';

export interface FooterProps {
  readonly prefixArmed: boolean;
  readonly notice: string | null;
  readonly inLab: boolean;
  readonly width: number;
}

/** The one-line key reminder under the panes. */
export function Footer({ prefixArmed, notice, inLab, width }: FooterProps) {
  const keys = inLab
    ? 'Tab switch pane · h hint · s solution · r reset · l labs · ? help · q quit'
    : 'Tab switch pane · r reset · ? help · q quit';
  return (
    <Box width={width}>
      <Text wrap="truncate" inverse={prefixArmed} bold>
        {prefixArmed ? ' Ctrl-g … ' : ' Ctrl-g '}
      </Text>
      <Text wrap="truncate" dimColor>
        {' '}
        {keys}
      </Text>
      {notice ? (
        <Text wrap="truncate" color="yellow">
          {'  '}
          {notice}
        </Text>
      ) : null}
    </Box>
  );
}
