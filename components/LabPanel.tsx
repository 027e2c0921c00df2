import React, { useSyncExternalStore } from 'react';
import { Box, Text } from 'ink';
import type { LabController } from '../src/labs/lab-session.ts';

/** The lab panel under the panes: the step's goal, each check's verdict, hints and solution. */
export function LabPanel({ controller, width, height }: { controller: LabController; width: number; height: number }) {
  const view = useSyncExternalStore(
    (listener) => controller.subscribe(listener),
    () => controller.view,
  );
  const { lab } = view;
  const step = lab.steps[view.stepIndex]!;
  const inner = height - 2;
  const lines: React.ReactNode[] = [];

  if (view.complete) {
    lines.push(<Text key="done" color="green" bold>✓ Lab complete. Every step's checks passed against the kernel's state.</Text>);
    lines.push(<Text key="next">Ctrl-g l returns to the lab list; Ctrl-g r starts this lab again in a fresh world.</Text>);
  } else if (view.catchingUp) {
    lines.push(<Text key="catch" color="yellow">{view.catchingUp}</Text>);
  } else {
    lines.push(<Text key="goal" wrap="wrap">{step.goal}</Text>);
    for (const result of view.results ?? []) {
      lines.push(
        <Text key={result.id} wrap="truncate">
          {result.pass ? <Text color="green">✓ </Text> : <Text color="red">✗ </Text>}
          {result.title}
        </Text>,
      );
      // What the kernel shows comes first: it is what the student acts on.
      if (!result.pass) {
        lines.push(
          <Text key={`${result.id}-why`} wrap="truncate" dimColor>
            {`    found ${result.found} — expected ${result.expected}`}
          </Text>,
        );
      }
    }
    if (view.results === null) lines.push(<Text key="wait" dimColor>Checking…</Text>);
    for (const hint of step.hints.slice(0, view.hintsShown)) {
      lines.push(
        <Text key={`hint-${hint}`} color="yellow" wrap="truncate">
          {`Hint: ${hint}`}
        </Text>,
      );
    }
    if (view.solution === 'confirm') lines.push(<Text key="confirm" color="magenta">Show the solution? Ctrl-g s again to see it.</Text>);
    if (view.solution === 'shown') {
      for (const [i, line] of step.solution.entries()) {
        lines.push(<Text key={`sol-${i}`} color="magenta" wrap="truncate">{`${line.pane.padEnd(9)} $ ${line.command}`}</Text>);
      }
    }
  }
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={view.complete ? 'green' : 'blue'} width={width} height={height} paddingX={1}>
      <Text bold wrap="truncate">
        <Text color="cyan">{lab.title}</Text>
        {`  step ${Math.min(view.stepIndex + 1, lab.steps.length)}/${lab.steps.length}: ${step.title}`}
        {view.checkMs !== null ? <Text dimColor>{`  (checked in ${view.checkMs} ms)`}</Text> : null}
      </Text>
      <Box flexDirection="column" height={inner - 1} overflow="hidden">
        {lines}
      </Box>
    </Box>
  );
}
