import { Box, Text } from 'ink';
import { LIST_KEYS } from '../src/keymap.ts';
import { describeProgress, type Progress } from '../src/labs/progress.ts';
import type { Lab } from '../src/labs/types.ts';

export interface LabListProps {
  readonly labs: readonly Lab[];
  readonly progress: Progress;
  readonly selected: number;
  readonly warning: string | null;
  readonly width: number;
}

/** The lab list: each lab with the student's progress; Enter opens the selected one. */
export function LabList({ labs, progress, selected, warning, width }: LabListProps) {
  const current = labs[selected];
  const titleWidth = Math.max(...labs.map((l) => l.title.length));
  const idWidth = Math.max(...labs.map((l) => l.id.length));
  return (
    <Box flexDirection="column" width={Math.min(width, 110)} paddingX={1}>
      <Text bold color="cyan">
        nslab — build a container by hand, in real namespaces
      </Text>
      <Text dimColor>Every lab runs in a throwaway lab world; nothing you type can change this machine.</Text>
      {warning ? <Text color="yellow" wrap="wrap">{warning}</Text> : null}
      <Text> </Text>
      {labs.map((lab, i) => {
        const state = describeProgress(progress.labs[lab.id], lab.steps.length);
        const mark = state === 'done' ? '✓' : state === 'new' ? ' ' : '…';
        return (
          <Text key={lab.id} inverse={i === selected} wrap="truncate">
            {` ${mark} ${String(i + 1).padStart(2)}. ${lab.title.padEnd(titleWidth)}  ${lab.id.padEnd(idWidth)}  ${state}`}
          </Text>
        );
      })}
      <Text> </Text>
      {current ? (
        <Box flexDirection="column">
          <Text bold>{current.title}</Text>
          <Text wrap="wrap">{current.summary}</Text>
        </Box>
      ) : null}
      <Text> </Text>
      <Text dimColor wrap="wrap">{LIST_KEYS.map((k) => `${k.label} ${k.does}`).join(' · ')}</Text>
    </Box>
  );
}
