/**
 * A lab being played: the session (world + panes) plus the lab's state machine. Checks run
 * whenever a pane goes quiet after output (no polling); when all of a step's checks pass the
 * step is recorded and the next one opens; the last one completes the lab.
 *
 * Green must mean the student did it:
 * - No check runs before the stage is ready, and a stage is ready only in the lab's starting
 *   state (Stage.open waits for both shells at their first prompt, in their namespaces).
 * - The first check run of a fresh world (opened, reset, or resumed after the replay) is the
 *   baseline: every check must be red there. A check green at the baseline is a defect of the
 *   lab, shown as such; it never counts towards passing the step.
 * - A passed step stays passed; the progress file only moves forward (or back to step 1 on an
 *   explicit reset). What happens when the student undoes one is said in the panel.
 */
import { readComm, readStartTime } from '../kernel/proc.ts';
import type { KeyCommand } from '../term/keys.ts';
import type { Session } from '../session/session.ts';
import type { Stage } from '../world/stage.ts';
import { panelRowsNeeded, panelText, panelWindow } from './panel.ts';
import { holdsOrSkipped, runChecks, typeSolution, type CheckOutcome } from './runner.ts';
import type { LabProgress, ProgressStore } from './progress.ts';
import type { EventBody } from '../report/event-log.ts';
import type { Lab, PaneName, Step } from './types.ts';

export interface LabView {
  readonly lab: Lab;
  readonly stepIndex: number;
  readonly results: readonly CheckOutcome[] | null;
  readonly hintsShown: number;
  readonly solution: 'hidden' | 'confirm' | 'shown';
  readonly complete: boolean;
  /** Set while nslab replays earlier steps' solutions to resume at a later step. */
  readonly catchingUp: string | null;
  /** Checks of this step that passed on the baseline run, before anything was typed: lab defects. */
  readonly defects: readonly string[];
  /** Checks of this step that were green earlier in this step and are red now. */
  readonly undone: readonly string[];
  /** Set when a shell a passed step was passed in has exited since: the panel says what that means. */
  readonly lostShell: string | null;
  /** The lab panel: scrolled this many rows down; opened over the whole screen. */
  readonly panelOffset: number;
  readonly panelFull: boolean;
  readonly frame: number;
}

/** A process in a pane's foreground when a step passed: if it exits, that step's state may go with it. */
interface Witness {
  readonly step: number;
  readonly pane: PaneName;
  readonly pid: number;
  readonly start: string;
  readonly comm: string;
}

export class LabController {
  private state: LabView;
  private listeners = new Set<() => void>();
  /** How long the last check run took (the help screen tells instructors). */
  private checkMs: number | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  /** The stage whose baseline run is still to come (a fresh world at the current step). */
  private baselineFor: Stage | null = null;
  private greenSeen = new Set<string>();
  private witnesses: Witness[] = [];
  /**
   * The most rows the panel has needed in this step at this width: the panel grows as hints
   * open but does not shrink back at each check run, which would resize the panes (a SIGWINCH
   * to the shells) whenever a finding changes length.
   */
  private panelHigh = { step: -1, width: 0, rows: 0 };

  constructor(
    readonly lab: Lab,
    readonly session: Session,
    private readonly store: Pick<ProgressStore, 'load' | 'update'>,
    /** Where steps passed, hints and solutions shown and resets are told (the event log, a recording). */
    private readonly events: (event: EventBody) => void = () => {},
  ) {
    this.state = {
      lab,
      stepIndex: 0,
      results: null,
      hintsShown: 0,
      solution: 'hidden',
      complete: false,
      catchingUp: null,
      defects: [],
      undone: [],
      lostShell: null,
      panelOffset: 0,
      panelFull: false,
      frame: 0,
    };
    session.hooks = {
      onCommand: (command) => this.command(command),
      onSettled: () => this.requestChecks(),
      onStage: (stage) => this.freshWorld(stage),
      capture: (data) => this.panelKeys(data),
      helpNotes: () => (this.checkMs === null ? [] : [`For instructors: the last check run took ${this.checkMs} ms.`]),
    };
    const controller = this;
    session.panel = {
      contentRows: (width) => controller.panelRows(width),
      get full() {
        return controller.state.panelFull;
      },
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
   * solutions, visibly, so the student sees how they got there. Nothing is checked (so
   * nothing is recorded) until the replay is over: quitting during it keeps the saved step.
   */
  async open(prepared?: Promise<Stage>, startAt?: number): Promise<void> {
    let saved: LabProgress | undefined;
    try {
      saved = this.store.load().progress.labs[this.lab.id];
    } catch (error) {
      this.session.setNotice(`${(error as Error).message} Starting at step 1.`);
    }
    const resumeAt = Math.min(startAt ?? (saved && !saved.done ? saved.step : 0), this.lab.steps.length - 1);
    if (resumeAt > 0) this.update({ catchingUp: `Resuming at step ${resumeAt + 1}: replaying the solutions of the steps before it…` });
    await this.session.start(this.lab.start, prepared);
    const stage = this.session.view.stage;
    if (!stage || resumeAt === 0 || this.state.catchingUp === null) return;
    for (const step of this.lab.steps.slice(0, resumeAt)) {
      // A reset meanwhile replaced the world: this replay is over, the reset's state stands.
      if (this.session.view.stage !== stage) return;
      await typeSolution(step, stage);
    }
    if (this.session.view.stage !== stage || this.state.catchingUp === null) return;
    this.witness(resumeAt - 1, stage);
    // The replayed state is this step's starting state: its first run is a baseline too.
    this.baselineFor = stage;
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

  /** The session attached a fresh stage (open or reset): its first run at this step is the baseline. */
  private freshWorld(stage: Stage): void {
    this.baselineFor = stage;
    this.greenSeen.clear();
    this.witnesses = [];
    this.update({ results: null, defects: [], undone: [], lostShell: null });
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
    if (!stage || !step || this.session.view.status !== 'ready') return;
    const baseline = this.baselineFor === stage;
    const typedBefore = this.session.typed;
    const started = performance.now();
    const results = await runChecks(step, stage);
    if (this.session.view.stage !== stage || this.step !== step) return; // reset or moved on meanwhile
    let defects = this.state.defects;
    if (baseline && this.baselineFor === stage) {
      this.baselineFor = null;
      // Typing during the run makes it no baseline: the student may have caused the green.
      if (this.session.typed === typedBefore) defects = results.filter((r) => r.pass).map((r) => r.id);
    }
    const counted = results.filter((r) => !defects.includes(r.id));
    for (const r of counted) if (r.pass) this.greenSeen.add(r.id);
    const undone = counted.filter((r) => !r.pass && this.greenSeen.has(r.id)).map((r) => r.id);
    this.checkMs = Math.round(performance.now() - started);
    const found = { results, defects, undone, lostShell: this.lostShell() };
    const shown = { results: this.state.results, defects: this.state.defects, undone: this.state.undone, lostShell: this.state.lostShell };
    // Most runs (every command the student types) find what the last one found: the panel
    // stays as it is, with no React render and no Ink frame for it (each costs ~20 ms of CPU,
    // what limits how many sessions a machine holds).
    if (JSON.stringify(found) !== JSON.stringify(shown)) this.update(found);
    if (counted.length > 0 && counted.every(holdsOrSkipped)) this.advance(stage, step, results);
  }

  private advance(stage: Stage, step: Step, results: readonly CheckOutcome[]): void {
    const next = this.state.stepIndex + 1;
    const complete = next >= this.lab.steps.length;
    this.witness(this.state.stepIndex, stage);
    this.record(next, complete);
    this.greenSeen.clear();
    const findings = results.map(({ id, title, pass, skipped, found }) => ({ id, title, pass, ...(skipped ? { skipped } : {}), found }));
    this.tell({ type: 'step-passed', lab: this.lab.id, step: next - 1, stepId: step.id, findings });
    if (complete) {
      this.update({ complete: true, panelOffset: 0 });
      this.session.setNotice(`Lab complete: ${this.lab.title}. Ctrl-g l for the lab list.`);
      return;
    }
    this.update({ stepIndex: next, results: null, hintsShown: 0, solution: 'hidden', defects: [], undone: [], panelOffset: 0 });
    this.session.setNotice(`Step ${next} passed. Step ${next + 1}: ${this.lab.steps[next]!.title}`);
    // The kernel may already be in the next step's state; look now rather than wait for output.
    this.rerun = true;
  }

  /** Remembers the processes in both panes' foreground as the ones a passed step was made in. */
  private witness(step: number, stage: Stage): void {
    for (const pane of ['host', 'container'] as const) {
      const pid = stage[pane].foregroundPid();
      const start = pid === null ? null : readStartTime(pid);
      if (pid === null || start === null) continue;
      this.witnesses.push({ step, pane, pid, start, comm: readComm(pid) ?? '?' });
    }
  }

  /**
   * The first passed step whose shell has exited (start time confirms the pid is still that
   * process, not a recycled number). The step stays passed: progress is about what the
   * student has done, and the current step's checks say what the kernel holds now.
   */
  private lostShell(): string | null {
    const gone = this.witnesses.find((w) => readStartTime(w.pid) !== w.start);
    if (!gone) return null;
    return (
      `Step ${gone.step + 1} stays passed, but ${gone.comm} (pid ${gone.pid}), in the ${gone.pane} pane's foreground when it passed, has exited: ` +
      'what that shell held in the kernel may be gone with it. The checks below read the kernel as it is now: redo what they miss, or Ctrl-g r to start the lab again.'
    );
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
      case 'panel-full':
        this.update({ panelFull: !this.state.panelFull });
        return;
      case 'panel-down':
        this.scrollPanel(this.session.panelPage());
        return;
      case 'panel-up':
        this.scrollPanel(-this.session.panelPage());
        return;
      case 'reset':
        this.tell({ type: 'reset', lab: this.lab.id, scope: 'world' });
        this.update({ stepIndex: 0, results: null, hintsShown: 0, solution: 'hidden', complete: false, catchingUp: null, defects: [], undone: [], lostShell: null, panelOffset: 0 });
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

  private panelRows(width: number): number {
    const rows = panelRowsNeeded(panelText(this.state, this.session.view.status, width));
    const high = this.panelHigh;
    if (high.step !== this.state.stepIndex || high.width !== width) this.panelHigh = { step: this.state.stepIndex, width, rows };
    else this.panelHigh = { ...high, rows: Math.max(high.rows, rows) };
    return this.panelHigh.rows;
  }

  /** While the panel is full-screen, keys scroll it instead of going to a pane; Esc closes it. */
  private panelKeys(data: string): boolean {
    if (!this.state.panelFull) return false;
    const page = this.session.panelPage();
    const moves: Record<string, number> = { '\x1b[A': -1, '\x1bOA': -1, k: -1, '\x1b[B': 1, '\x1bOB': 1, j: 1, '\x1b[5~': -page, '\x1b[6~': page, ' ': page };
    if (data === '\x1b' || data === 'q') this.update({ panelFull: false });
    else if (data in moves) this.scrollPanel(moves[data]!);
    return true;
  }

  /** Scrolls the panel's body, kept within its text as the panel shows it now. */
  private scrollPanel(delta: number): void {
    const { layout, status } = this.session.view;
    const text = panelText(this.state, status, layout.panelInnerWidth);
    const { offset } = panelWindow(text, layout.panelInnerRows, this.state.panelOffset + delta, layout.panelFull);
    this.update({ panelOffset: offset });
  }

  /** Saves the step reached; a lab once done stays done. A failure is shown until a save succeeds. */
  private record(step: number, done: boolean): void {
    try {
      const saved = this.store.load().progress.labs[this.lab.id];
      const entry = { step, done: done || (saved?.done ?? false) };
      // Nothing new to say (a reset of a lab never begun): the file stays as it was.
      const same = saved ? saved.step === entry.step && saved.done === entry.done : entry.step === 0 && !entry.done;
      if (!same) this.store.update(this.lab.id, entry);
      this.session.setAlert(null);
    } catch (error) {
      this.session.setAlert(`Your progress was NOT saved: ${(error as Error).message}`);
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
    if ('results' in patch || 'hintsShown' in patch || 'solution' in patch || 'stepIndex' in patch || 'complete' in patch || 'catchingUp' in patch || 'defects' in patch || 'lostShell' in patch || 'panelFull' in patch) {
      this.session.relayout();
    }
  }
}
