/**
 * Input first: while the answer to a key is on its way, the other panes that are streaming
 * output (a flood) are held: not read, not parsed, not drawn, for HOLD_MS at most.
 *
 * Why: on a machine with few cores, a flood keeps every core busy (the program writing it,
 * nslab parsing it, the outer terminal drawing it), and the shell that must echo the key waits
 * for a time slice: measured on 2 cores while `seq 1 2000000` ran in the other pane, 2-4 ms
 * from the key written to its echo read, against 0.12 ms idle. Held, the flooding program
 * blocks on its full PTY within microseconds (as it would behind a slow terminal) and the echo
 * gets a core at once. The flood loses at most HOLD_MS per key; output is never lost (Pane.hold
 * queues what was already read, and the kernel keeps the rest in the PTY).
 */
import type { Pane } from './pane.ts';

/** Longest a key holds the other panes: a program that does not echo costs them this much. */
export const HOLD_MS = 5;

/** Holds the streaming panes among `others` until `target` next changes, or HOLD_MS. */
export function holdOthersForAnswer(target: Pane, others: readonly Pane[]): void {
  const held = others.filter((pane) => pane !== target && !pane.exit && pane.streaming);
  if (held.length === 0) return;
  for (const pane of held) pane.hold();
  let offChange = () => {};
  let released = false;
  const done = () => {
    if (released) return;
    released = true;
    clearTimeout(timer);
    offChange();
    for (const pane of held) pane.release();
  };
  const timer = setTimeout(done, HOLD_MS);
  // After the change is drawn: the writer's listener (registered when the pane was placed)
  // runs before this one and draws a key's answer in the same turn.
  offChange = target.onChange(done);
}
