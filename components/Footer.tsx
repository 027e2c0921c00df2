import { Box, Text } from 'ink';
import { FOOTER_KEYS_PREFIX, NOTICE_ROWS, type Layout } from '../src/layout.ts';

export interface FooterProps {
  readonly prefixArmed: boolean;
  readonly layout: Layout;
  /** Which rows of a long notice are up (it scrolls through NOTICE_ROWS rows). */
  readonly noticeTick: number;
}

/**
 * The keys (every one, wrapped by item, never cut), the alert that stays until resolved, and
 * the notice rows: all wrapped by the layout, drawn one row each.
 */
export function Footer({ prefixArmed, layout, noticeTick }: FooterProps) {
  const { keys, alert, notice } = layout.footer;
  const pages = Math.max(1, Math.ceil(notice.length / NOTICE_ROWS));
  const start = (noticeTick % pages) * NOTICE_ROWS;
  const shown = notice.slice(start, start + NOTICE_ROWS);
  while (shown.length < NOTICE_ROWS) shown.push('');
  return (
    <Box flexDirection="column" width={layout.width}>
      {keys.map((line, i) =>
        i === 0 ? (
          <Text key={i} wrap="truncate">
            <Text inverse={prefixArmed} bold>
              {FOOTER_KEYS_PREFIX}
            </Text>
            <Text dimColor={!prefixArmed}>{line.slice(FOOTER_KEYS_PREFIX.length)}</Text>
          </Text>
        ) : (
          <Text key={i} wrap="truncate" dimColor={!prefixArmed}>
            {line}
          </Text>
        ),
      )}
      {alert.map((line, i) => (
        <Text key={`a${i}`} wrap="truncate" color="red" bold>
          {` ${line}`}
        </Text>
      ))}
      {shown.map((line, i) => (
        <Text key={`n${i}`} wrap="truncate" color="yellow">
          {` ${line}`}
        </Text>
      ))}
    </Box>
  );
}
