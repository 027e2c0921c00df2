import { it } from 'vitest';
import { Box, Text, renderToString } from 'ink';
it('ink', () => {
  const rows = Array.from({ length: 30 }, (_, i) => `${i} ` + 'word '.repeat(22));
  const el = (
    <Box flexDirection="column" borderStyle="round" width={120} height={34} paddingX={1}>
      {rows.map((r, i) => <Text key={i} wrap="truncate" color="yellow">{r}</Text>)}
    </Box>
  );
  let t = performance.now();
  for (let i = 0; i < 10; i++) renderToString(el, { columns: 120 });
  console.log('truncate', (performance.now() - t) / 10);
  const el2 = (
    <Box flexDirection="column" borderStyle="round" width={120} height={34} paddingX={1}>
      {rows.map((r, i) => <Text key={i} color="yellow">{r}</Text>)}
    </Box>
  );
  t = performance.now();
  for (let i = 0; i < 10; i++) renderToString(el2, { columns: 120 });
  console.log('wrap', (performance.now() - t) / 10);
});
