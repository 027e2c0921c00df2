import { Box, Text } from 'ink';

export interface FooterProps {
  readonly prefixArmed: boolean;
  readonly notice: string | null;
  readonly inLab: boolean;
  readonly presenter?: boolean;
  readonly width: number;
}

/** The one-line key reminder under the panes. */
export function Footer({ prefixArmed, notice, inLab, presenter, width }: FooterProps) {
  const keys = presenter
    ? 'n next line · 1…9 step · i inspect · Tab pane · r reset · q quit'
    : inLab
    ? 'Tab switch pane · h hint · s solution · i inspect · r reset · l labs · ? help · q quit'
    : 'Tab switch pane · i inspect · r reset · ? help · q quit';
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
