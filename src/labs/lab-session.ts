/**
 * A lab being played: the session (world + panes) plus the lab's state machine. Checks run
 * whenever a pane goes quiet after output (no polling); when all of a step's checks pass the
 * step is recorded and the next one opens; the last one completes the lab.
 */
import type { KeyCommand } from '../term/keys.ts';
import type { Session } from '../session/session.ts';
import type { Stage } from '../world/stage.ts';
import { runChecks, typeSolution, type CheckOutcome } from './runner.ts';
import type { LabProgress, ProgressStore } from './progress.ts';
import type { EventBody } from '../report/event-log.ts';
import type { Lab, Step } from './types.ts';

export interface LabView {
  readonly lab: Lab;
  readonly stepIndex: number;
  readonly results: readonly CheckOutcome[] | null;
  readonly hintsShown: number;
  readonly solution: 'hidden' | 'confirm' | 'shown';
  readonly complete: boolean;
  /** Set while nslab replays earlier steps' solutions to resume at a later step. */
  readonly catchingUp: string | null;
  /** How long the last check run took, in ms (shown to instructors in the panel). */
  readonly checkMs: number | null;
  readonly frame: number;
}

export class LabController {
  private state: LabView;
  private listeners = new Set<() => void>();
  private running: Promise<void> | null = null;
  private rerun = false;

  constructor(
    readonly lab: Lab,
    readonly session: Session,
    private readonly store: Pick<ProgressStore, 'load' | 'update'>,
    /** Where steps passed, hints and solutions shown and resets are told (the event log, a recording). */
    private readonly events: (event: EventBody) => void = () => {},
  ) {
    this.state = { lab, stepIndex: 0, results: null, hintsShown: 0, solution: 'hidden', complete: false, catchingUp: null, checkMs: null, frame: 0 };
    session.hooks = {
      onCommand: (command) => this.command(command),
      onSettled: () => this.requestChecks(),
    };
  }

  get view(): LabView {
    return this.state;
  }

  get step(): Step | undefined {
    return this.lab.steps[this.state.stepIndex];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens a fresh world in the lab's starting state. A lab in progress resumes at its saved
   * step: the kernel state of the earlier steps is rebuilt by typing their reference
   * solutions, visibly, so the student sees how they got there.
   */
  async open(prepared?: Promise<Stage>, startAt?: number): Promise<void> {
    let saved: LabProgress | undefined;
    try {
      saved = this.store.load().progress.labs[this.lab.id];
    } catch (error) {
      this.session.setNotice(`${(error as Error).message} Starting at step 1.`);
    }
    const resumeAt = Math.min(startAt ?? (saved && !saved.done ? saved.step : 0), this.lab.steps.length - 1);
    await this.session.start(this.lab.start, prepared);
    const stage = this.session.view.stage;
    if (!stage || resumeAt === 0) return;
    this.update({ catchingUp: `Resuming at step ${resumeAt + 1}: replaying the solutions of the steps before it…` });
    await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
    for (const step of this.lab.steps.slice(0, resumeAt)) {
      // A reset meanwhile replaced the world: this replay is over, the reset's state stands.
      if (this.session.view.stage !== stage) return;
      await typeSolution(step, stage);
    }
    if (this.session.view.stage !== stage) return;
    this.update({ catchingUp: null, stepIndex: resumeAt });
    this.requestChecks();
  }

  /**
   * Presenter mode: a fresh world at step `index` (0-based), the earlier steps' solutions
   * replayed into it visibly, exactly as a resume does.
   */
  async jumpTo(index: number): Promise<void> {
    this.update({ stepIndex: 0, results: null, hintsShown: 0, solution: 'hidden', complete: false, catchingUp: null });
    await this.open(undefined, Math.max(0, Math.min(index, this.lab.steps.length - 1)));
  }

  /** Runs the current step's checks; a request during a run queues exactly one more run. */
  requestChecks(): void {
    if (this.state.catchingUp || this.state.complete) return;
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.checkOnce()
      .catch((error: unknown) => this.session.setNotice(`The checks could not run: ${(error as Error).message}`))
      .finally(() => {
      this.running = null;
      if (this.rerun) {
        this.rerun = false;
        this.requestChecks();
      }
    });
  }

  private async checkOnce(): Promise<void> {
    const stage = this.session.view.stage;
    const step = this.step;
    if (!stage || !step) return;
    const started = performance.now();
    const results = await runChecks(step, stage);
    if (this.session.view.stage !== stage || this.step !== step) return; // reset or moved on meanwhile
    this.update({ results, checkMs: Math.round(performance.now() - started) });
    if (results.every((r) => r.pass)) this.advance(step, results);
  }

  private advance(step: Step, results: readonly CheckOutcome[]): void {
    const next = this.state.stepIndex + 1;
    const complete = next >= this.lab.steps.length;
    this.record(next, complete);
    const findings = results.map(({ id, title, pass, found }) => ({ id, title, pass, found }));
    this.tell({ type: 'step-passed', lab: this.lab.id, step: next - 1, stepId: step.id, findings });
    if (complete) {
      this.update({ complete: true });
      this.session.setNotice(`Lab complete: ${this.lab.title}. Ctrl-g l for the lab list.`);
      return;
    }
    this.update({ stepIndex: next, results: null, hintsShown: 0, solution: 'hidden' });
    this.session.setNotice(`Step ${next} passed. Step ${next + 1}: ${this.lab.steps[next]!.title}`);
    // The kernel may already be in the next step's state; look now rather than wait for output.
    this.rerun = true;
  }

  private command(command: KeyCommand): void {
    const step = this.step;
    switch (command) {
      case 'hint': {
        if (!step || this.state.hintsShown >= step.hints.length) return;
        const hint = this.state.hintsShown + 1;
        this.update({ hintsShown: hint });
        this.tell({ type: 'hint-shown', lab: this.lab.id, step: this.state.stepIndex, stepId: step.id, hint });
        return;
      }
      case 'solution': {
        const solution = this.state.solution === 'hidden' ? 'confirm' : 'shown';
        if (step && solution === 'shown' && this.state.solution !== 'shown') {
          this.tell({ type: 'solution-shown', lab: this.lab.id, step: this.state.stepIndex, stepId: step.id });
        }
        this.update({ solution });
        return;
      }
      case 'reset':
        this.tell({ type: 'reset', lab: this.lab.id, scope: 'world' });
        this.update({ stepIndex: 0, results: null, hintsShown: 0, solution: 'hidden', complete: false, catchingUp: null });
        this.session.setNotice('A fresh lab world, in the lab\'s starting state.');
        this.record(0, false);
        void this.session.start(this.lab.start);
        return;
      case 'present-next':
      case 'present-step':
        // A presentation takes these keys before they get here (src/present/presenter.ts).
        this.session.setNotice(`That key is for presenter mode: nslab present ${this.lab.id}`);
        return;
      default:
        return;
    }
  }

  /** Saves the step reached; a lab once done stays done. A failure is shown, the lab goes on. */
  private record(step: number, done: boolean): void {
    try {
      const wasDone = this.store.load().progress.labs[this.lab.id]?.done ?? false;
      this.store.update(this.lab.id, { step, done: done || wasDone });
    } catch (error) {
      this.session.setNotice((error as Error).message);
    }
  }

  /** Tells the event sinks; a log that cannot be written is shown, the lab goes on. */
  private tell(event: EventBody): void {
    try {
      this.events(event);
    } catch (error) {
      this.session.setNotice(`The event log could not be written: ${(error as Error).message}`);
    }
  }

  private update(patch: Partial<LabView>): void {
    this.state = { ...this.state, ...patch, frame: this.state.frame + 1 };
    for (const listener of this.listeners) listener();
  }
}
