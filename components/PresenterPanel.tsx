/**
 * Presenter mode's panel, split around the panes for a projector: the step and its goal above
 * them (bold, few words per line), the checks and the line Ctrl-g n types next below them.
 * Each part has a fixed height (src/layout.ts), so nothing moves while the room watches.
 */
import { useSyncExternalStore } from 'react';
import { Box, Text } from 'ink';
import type { LabController } from '../src/labs/lab-session.ts';
import { PRESENTER_BOTTOM_ROWS, PRESENTER_TOP_ROWS } from '../src/layout.ts';
import type { Presenter } from '../src/present/presenter.ts';

function useLab(controller: LabController) {
  return useSyncExternalStore(
    (listener) => controller.subscribe(listener),
    () => controller.view,
  );
}

/** Above the panes: which step, and what it asks for. */
export function PresenterGoal({ controller, width }: { controller: LabController; width: number }) {
  const view = useLab(controller);
  const { lab } = view;
  const step = lab.steps[view.stepIndex]!;
  const heading = view.complete ? `✓ ${lab.title}: complete` : `Step ${view.stepIndex + 1}/${lab.steps.length}: ${step.title}`;
  const below = view.complete ? 'Every step passed, checked against the kernel.' : (view.catchingUp ?? step.goal);
  return (
    <Box flexDirection="column" width={width} height={PRESENTER_TOP_ROWS}>
      <Text bold wrap="truncate" color={view.complete ? 'green' : 'cyan'}>
        {heading}
      </Text>
      <Box height={PRESENTER_TOP_ROWS - 1} overflow="hidden">
        <Text wrap="wrap">{below}</Text>
      </Box>
    </Box>
  );
}

/** Below the panes: each check's mark, and what the next key will type. */
export function PresenterChecks({ controller, presenter, width }: { controller: LabController; presenter: Presenter; width: number }) {
  const view = useLab(controller);
  const next = useSyncExternalStore(
    (listener) => presenter.subscribe(listener),
    () => presenter.view,
  );
  const checks = (view.results ?? []).map((r) => `${r.pass ? '✓' : '✗'} ${r.title}`).join('   ');
  const upcoming = next.typing ? 'typing…' : next.next ? `Ctrl-g n types (${next.next.pane}): ${next.next.command}` : view.complete ? 'done' : 'all lines typed: waiting for the checks';
  return (
    <Box flexDirection="column" width={width} height={PRESENTER_BOTTOM_ROWS}>
      <Text wrap="truncate" color={view.results?.every((r) => r.pass) ? 'green' : undefined}>
        {view.results === null ? 'Checking…' : checks}
      </Text>
      <Text wrap="truncate" dimColor>
        {upcoming}
        {'   Ctrl-g 1…9 go to a step'}
      </Text>
    </Box>
  );
}
