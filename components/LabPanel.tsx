import { useSyncExternalStore } from 'react';
import { Box, Text } from 'ink';
import type { Layout } from '../src/layout.ts';
import type { LabController } from '../src/labs/lab-session.ts';
import { panelText, panelWindow, type PanelLine, type StageStatus } from '../src/labs/panel.ts';

/**
 * The lab panel under the panes (or over the whole screen): the step's goal, each check's
 * verdict with what was found and what is expected, hints and solution. Its lines come wrapped
 * from src/labs/panel.ts; this view draws one row each, so nothing is cut or overprinted.
 */
export function LabPanel({ controller, layout, status }: { controller: LabController; layout: Layout; status: StageStatus }) {
  const view = useSyncExternalStore(
    (listener) => controller.subscribe(listener),
    () => controller.view,
  );
  const text = panelText(view, status, layout.panelInnerWidth);
  const window = panelWindow(text, layout.panelInnerRows, view.panelOffset, layout.panelFull);
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={view.complete ? 'green' : 'blue'} width={layout.width} height={layout.panelRows} paddingX={1}>
      {window.lines.map((line, i) => (
        <Row key={i} line={line} />
      ))}
      {window.mark ? (
        <Text wrap="truncate" inverse>
          {window.mark}
        </Text>
      ) : null}
    </Box>
  );
}

// No wrap="truncate": each line is already wrapped to the panel's width, and Ink's truncation
// costs about as much again as drawing the row.
function Row({ line }: { line: PanelLine }) {
  return (
    <Text color={line.color} bold={line.bold} dimColor={line.dim}>
      {line.text || ' '}
    </Text>
  );
}
