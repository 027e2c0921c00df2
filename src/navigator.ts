/**
 * Which screen is up — the lab list, a lab, or the playground — and where keys go. The lab
 * list has its own few keys; in a lab or the playground every key goes to the session.
 */
import { LabController } from './labs/lab-session.ts';
import type { Progress, ProgressStore } from './labs/progress.ts';
import type { Lab } from './labs/types.ts';
import type { EventBody } from './report/event-log.ts';
import { Session } from './session/session.ts';
import { Presenter, memoryProgress } from './present/presenter.ts';
import { PRESENTER_PANEL_ROWS } from './layout.ts';
import { PLAYGROUND, type Stage } from './world/stage.ts';

export type Screen =
  | { readonly kind: 'list'; readonly selected: number }
  | { readonly kind: 'lab'; readonly lab: LabController; readonly session: Session; readonly presenter?: Presenter }
  | { readonly kind: 'play'; readonly session: Session };

export interface NavigatorView {
  readonly screen: Screen;
  readonly labs: readonly Lab[];
  readonly progress: Progress;
  readonly warning: string | null;
  readonly columns: number;
  readonly rows: number;
  readonly frame: number;
}

export class Navigator {
  private state: NavigatorView;
  private listeners = new Set<() => void>();
  /** Said by the first lab or playground opened (the list shows it as its warning). */
  private startNotice: string | null;
  onQuit: () => void = () => {};

  constructor(
    labs: readonly Lab[],
    private readonly store: ProgressStore,
    private readonly rootfsTar: string,
    size: { columns: number; rows: number },
    /** Where a lab tells what happened: the event log, and a recording's markers. */
    private readonly events: (event: EventBody) => void = () => {},
    /** Lab files that were refused, said on the lab list (the other labs are there). */
    labProblems: string | null = null,
    options: { notice?: string | null } = {},
  ) {
    const { progress, warning } = this.loadProgress();
    this.startNotice = options.notice ?? null;
    const warnings = [labProblems, warning, this.startNotice].filter(Boolean).join('\n') || null;
    this.state = { screen: { kind: 'list', selected: 0 }, labs, progress, warning: warnings, ...size, frame: 0 };
    const resume = labs.findIndex((lab) => progress.labs[lab.id] && !progress.labs[lab.id]!.done);
    if (resume > 0) this.state = { ...this.state, screen: { kind: 'list', selected: resume } };
  }

  get view(): NavigatorView {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The labs, when they arrive after the screen opened (the playground does not wait for them). */
  setLabs(labs: readonly Lab[]): void {
    const { progress } = this.loadProgress();
    this.update({ labs, progress });
  }

  // Each open switches the screen before its first await: a second key in the same input
  // chunk then goes to the new screen instead of opening another session beside it.

  async openLab(id: string, prepared?: Promise<Stage>): Promise<void> {
    const lab = this.state.labs.find((l) => l.id === id);
    if (!lab) return;
    const previous = this.state.screen;
    const session = this.newSession(true);
    const controller = new LabController(lab, session, this.store, this.events);
    this.update({ screen: { kind: 'lab', lab: controller, session } });
    await closeScreen(previous);
    await controller.open(prepared);
  }

  /**
   * Presenter mode: the lab at step `startAt` (0-based), nothing saved, no event logged; only a
   * recording hears of the step passes (its markers).
   */
  async openPresentation(id: string, prepared: Promise<Stage> | undefined, startAt: number, onStepPassed: (event: EventBody) => void): Promise<void> {
    const lab = this.state.labs.find((l) => l.id === id);
    if (!lab) return;
    const previous = this.state.screen;
    const session = this.newSession(PRESENTER_PANEL_ROWS);
    const controller = new LabController(lab, session, memoryProgress(), onStepPassed);
    const presenter = new Presenter(controller, session);
    this.update({ screen: { kind: 'lab', lab: controller, session, presenter } });
    await closeScreen(previous);
    await controller.open(prepared, startAt);
  }

  async openPlayground(prepared?: Promise<Stage>): Promise<void> {
    const previous = this.state.screen;
    const session = this.newSession(false);
    this.update({ screen: { kind: 'play', session } });
    await closeScreen(previous);
    await session.start(PLAYGROUND, prepared);
  }

  async openList(): Promise<void> {
    const previous = this.state.screen;
    const index = previous.kind === 'lab' ? this.state.labs.indexOf(previous.lab.lab) : 0;
    const { progress, warning } = this.loadProgress();
    this.update({ screen: { kind: 'list', selected: Math.max(0, index) }, progress, warning: warning ?? this.state.warning });
    await closeScreen(previous);
  }

  /** Progress, or none with the reason as a warning (an unreadable file must not end the app). */
  private loadProgress(): { progress: Progress; warning: string | null } {
    try {
      return this.store.load();
    } catch (error) {
      return { progress: { version: 1, labs: {} }, warning: (error as Error).message };
    }
  }

  /** Runs an open started by a key; a failure becomes a message, never a crash. */
  private go(opening: Promise<void>): void {
    opening.catch((error: unknown) => this.update({ warning: `Could not open that: ${(error as Error).message}` }));
  }

  private newSession(withLabPanel: boolean | number): Session {
    const session = new Session({ spec: PLAYGROUND, rootfsTar: this.rootfsTar, columns: this.state.columns, rows: this.state.rows, withLabPanel });
    session.onQuit = () => this.onQuit();
    session.onList = () => this.go(this.openList());
    if (this.startNotice) session.setNotice(this.startNotice);
    this.startNotice = null;
    return session;
  }


  input(chunk: string): void {
    const screen = this.state.screen;
    if (screen.kind !== 'list') {
      screen.session.input(chunk);
      return;
    }
    for (const key of splitKeys(chunk)) this.listKey(key);
  }

  private listKey(key: string): void {
    const screen = this.state.screen;
    if (screen.kind !== 'list') return; // an earlier key of the same chunk opened something
    const count = this.state.labs.length;
    const move = (delta: number) => count > 0 && this.update({ screen: { kind: 'list', selected: (screen.selected + delta + count) % count } });
    const selected = this.state.labs[screen.selected];
    switch (key) {
      case '\x1b[A': case '\x1bOA': case 'k':
        move(-1);
        return;
      case '\x1b[B': case '\x1bOB': case 'j':
        move(1);
        return;
      case '\r': case '\n':
        // An empty list (every lab file refused, or none yet): Enter has nothing to open.
        if (selected) this.go(this.openLab(selected.id));
        return;
      case 'p':
        this.go(this.openPlayground());
        return;
      case 'q': case '\x03':
        this.onQuit();
        return;
      default:
        return;
    }
  }

  resize(columns: number, rows: number): void {
    this.update({ columns, rows });
    const screen = this.state.screen;
    if (screen.kind !== 'list') screen.session.resize(columns, rows);
  }

  async close(): Promise<void> {
    await closeScreen(this.state.screen);
  }

  private update(patch: Partial<NavigatorView>): void {
    this.state = { ...this.state, ...patch, frame: this.state.frame + 1 };
    for (const listener of this.listeners) listener();
  }
}

/** Splits raw terminal input into keys: CSI and SS3 sequences stay whole, the rest is per character. */
export function splitKeys(chunk: string): string[] {
  const keys: string[] = [];
  // ECMA-48: a control sequence is CSI, parameter bytes 0x30-0x3f (digits, ; : < = > ?),
  // intermediates 0x20-0x2f, one final byte; OSC, DCS, APC, PM and SOS strings run to BEL or ST.
  // Each is one key, so a terminal's reply or a stray sequence never reads as `q` (quit).
  const pattern = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]P_^X][\s\S]*?(?:\x07|\x1b\\|$)|\x1bO.|\x1b.|[\s\S]/gu;
  for (const match of chunk.matchAll(pattern)) keys.push(match[0]);
  return keys;
}

async function closeScreen(screen: Screen): Promise<void> {
  if (screen.kind !== 'list') await screen.session.close();
}
