/**
 * Presenter mode (`nslab present <lab-id>`): the instructor drives a lab in front of a room.
 * Ctrl-g n types the next line of the reference solution into its pane one key at a time, at
 * human speed, then waits for the pane to answer and for the next key; Ctrl-g 1…9 opens a
 * fresh world at that step, the earlier steps replayed as a resume does. The checks are the
 * student's: they turn green from the kernel's state, not from what was typed.
 *
 * Nothing of a presentation is saved: the progress store is in memory and no event is logged
 * (an instructor's demo is not their coursework); a recording still gets its markers.
 */
import type { LabController } from '../labs/lab-session.ts';
import type { LoadedProgress, Progress } from '../labs/progress.ts';
import { typeCommand } from '../labs/runner.ts';
import type { SolutionLine } from '../labs/types.ts';
import type { Session } from '../session/session.ts';

/** Milliseconds between two typed keys: a brisk typist, slow enough to read along. */
export const HUMAN_KEY_MS = 45;

export interface PresenterView {
  /** The line the next Ctrl-g n types, or null when this step's lines are all typed. */
  readonly next: SolutionLine | null;
  readonly typing: boolean;
  readonly frame: number;
}

/** Progress that lives as long as the presentation. */
export function memoryProgress(): { load(): LoadedProgress; update(labId: string, entry: { step: number; done: boolean }): Progress } {
  const progress: Progress = { version: 1, labs: {} };
  return {
    load: () => ({ progress: structuredClone(progress), warning: null }),
    update(labId, entry) {
      progress.labs[labId] = { ...entry, updatedAt: new Date().toISOString() };
      return structuredClone(progress);
    },
  };
}

export class Presenter {
  private line = 0;
  private step = 0;
  /** After a jump or a reset: the step the cursor restarts at, once the world is there. */
  private pending: number | null = null;
  private typing = false;
  private frame = 0;
  private listeners = new Set<() => void>();
  private state: PresenterView = { next: null, typing: false, frame: 0 };

  constructor(
    private readonly controller: LabController,
    private readonly session: Session,
    private readonly keyMs = HUMAN_KEY_MS,
  ) {
    const labHooks = session.hooks;
    session.hooks = {
      ...labHooks,
      onCommand: (command, key) => {
        if (command === 'present-next') void this.typeNext();
        else if (command === 'present-step') void this.jump(Number(key));
        else {
          if (command === 'reset') this.pending = 0; // the reset's step 1 starts from its first line
          labHooks.onCommand?.(command, key);
        }
      },
    };
    controller.subscribe(() => this.refresh());
    this.refresh();
  }

  get view(): PresenterView {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Types the next solution line of the current step, visibly, and waits for its answer. */
  async typeNext(): Promise<void> {
    const stage = this.session.view.stage;
    const view = this.controller.view;
    if (this.typing || !stage || view.catchingUp) return;
    const line = this.state.next;
    if (view.complete) return this.session.setNotice('The lab is complete. Ctrl-g 1 starts it again from step 1.');
    if (!line) return this.session.setNotice('Every line of this step is typed; the checks decide when it passes.');
    this.typing = true;
    this.line++;
    this.refresh();
    // The room watches the pane being typed into; the inspector, if open, covers the other one.
    this.session.focus(line.pane);
    try {
      await typeCommand(stage[line.pane], line.command, line.waitMs, this.keyMs);
    } finally {
      this.typing = false;
      this.refresh();
    }
  }

  /** Ctrl-g N: a fresh world at step N (1-based), earlier steps replayed. */
  async jump(step: number): Promise<void> {
    const steps = this.controller.lab.steps.length;
    if (!Number.isInteger(step) || step < 1 || step > steps) {
      return this.session.setNotice(`This lab has steps 1 to ${steps}.`);
    }
    if (this.typing) return;
    this.session.setNotice(`A fresh lab world at step ${step}…`);
    this.pending = step - 1;
    await this.controller.jumpTo(step - 1);
  }

  /**
   * The cursor walks the reference solution line by line. A step can pass before its last
   * line (`cd /` after pivot_root): those lines are still typed, as the reference has them,
   * before the next step's; the cursor never runs ahead of the step on screen, and a reset or
   * a jump sends it to the start of the step shown.
   */
  private refresh(): void {
    const view = this.controller.view;
    const steps = this.controller.lab.steps;
    if (this.pending !== null && view.stepIndex === this.pending && !view.catchingUp) {
      this.step = this.pending;
      this.line = 0;
      this.pending = null;
    }
    while (this.step < view.stepIndex && this.line >= steps[this.step]!.solution.length) {
      this.step++;
      this.line = 0;
    }
    const next = view.complete || view.catchingUp || this.pending !== null ? null : (steps[this.step]?.solution[this.line] ?? null);
    if (next === this.state.next && this.typing === this.state.typing) return;
    this.state = { next, typing: this.typing, frame: ++this.frame };
    for (const listener of this.listeners) listener();
  }
}
