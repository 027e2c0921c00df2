/** Whether a pane's shell is waiting at a prompt, read from its emulator's screen. */
import type { Pane } from './pane.ts';

/**
 * Whether the cursor sits right after a shell prompt: the line up to the cursor ends in "# ",
 * "$ " or "> " (bash's and sh's prompts for root and users). Quiet alone is not enough: the
 * echo of a command goes quiet before a slow command has answered.
 */
export function atPrompt(pane: Pane): boolean {
  const buffer = pane.term.buffer.active;
  const line = buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true, 0, buffer.cursorX) ?? '';
  return /[#$>] $/.test(line);
}
