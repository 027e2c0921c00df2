/**
 * The session behind the screen: it owns the stage (world + panes), the focus, the key
 * prefix machine and the pane titles, and tells the view when to draw. No React here; the
 * Ink views subscribe and read `view`.
 */
import { NOTICE_ROWS, computeLayout, type Layout, type LayoutInput } from '../layout.ts';
import { printable } from '../printable.ts';
import { holdOthersForAnswer } from '../term/input-first.ts';
import { PrefixKeyMachine, encodeForPane, type KeyCommand } from '../term/keys.ts';
import { Stage, type StageSpec } from '../world/stage.ts';
import { paneTitle, type PaneTitle } from './pane-title.ts';
import { Inspector, type InspectorTarget } from '../inspect/inspector.ts';

export type PaneId = 'host' | 'container';
/** The pane with the focus when a session starts. */
export const FIRST_FOCUS: PaneId = 'container';
export const PANE_IDS: readonly PaneId[] = ['host', 'container'];

/** A notice longer than its rows shows its next rows after this long. */
const NOTICE_SCROLL_MS = 4_000;
/** Keys that only edit the line at a prompt: printable characters and backspace. */
const PLAIN_TEXT = /^[\x20-\x7e\x7f\b]+$/;

export interface SessionView {
  readonly status: 'starting' | 'ready' | 'failed';
  readonly error: string | null;
  /**
   * The pane the keys go to. While the panes are on screen it moves without a change of the
   * view (no `frame`, no subscriber called): the ScreenWriter draws it, told through onFocus.
   */
  readonly focus: PaneId;
  readonly helpOpen: boolean;
  readonly prefixArmed: boolean;
  readonly titles: Readonly<Record<PaneId, PaneTitle | null>>;
  readonly exited: Readonly<Record<PaneId, boolean>>;
  readonly layout: Layout;
  readonly stage: Stage | null;
  /** A line for the footer: what just happened, or what to do next. */
  readonly notice: string | null;
  /** Stays in the footer until resolved (a failed progress save): no notice replaces it. */
  readonly alert: string | null;
  /** Moves every few seconds while a notice is longer than its rows: the footer scrolls it. */
  readonly noticeTick: number;
  /**
   * Increments on every change of this view. Pane output and a focus move between shown panes
   * are not changes of the view: the ScreenWriter draws them (src/term/screen-writer.ts).
   */
  readonly frame: number;
}

export interface SessionOptions {
  readonly spec: StageSpec;
  readonly rootfsTar: string;
  readonly columns: number;
  readonly rows: number;
  /** The lab panel (true), none, or that many rows of panel (presenter mode). */
  readonly withLabPanel?: boolean | number;
}

/** Hooks a lab adds on top of the bare playground. */
export interface SessionHooks {
  /** A prefix command the session itself does not handle (hint, solution, list, ...). */
  onCommand?(command: KeyCommand, key: string): void;
  /** A pane went quiet after output, or the stage (re)opened: the moment to re-run checks. */
  onSettled?(): void;
  /** A fresh stage was attached, in the lab's starting state (before the first onSettled). */
  onStage?(stage: Stage): void;
  /** Keys without the prefix while something other than a pane has them (the full-screen panel). */
  capture?(data: string): boolean;
  /** Lines for the help screen (the last check run's time, for instructors). */
  helpNotes?(): readonly string[];
}

/** What the lab panel tells the layout: the rows its text needs at a width; full-screen or not. */
export interface PanelSource {
  contentRows(innerWidth: number): number;
  readonly full: boolean;
}

export class Session {
  private state: SessionView;
  private readonly keys = new PrefixKeyMachine();
  private listeners = new Set<() => void>();
  private focusListeners = new Set<(focus: PaneId) => void>();
  private noticeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private generation = 0;
  private size: { columns: number; rows: number };
  /** Bytes typed into the panes so far: a check run that saw none typed is a baseline. */
  typed = 0;
  /** The lab panel, when a lab sets one; it shapes the layout. */
  panel: PanelSource | null = null;
  hooks: SessionHooks = {};
  /** What was typed into each pane since it last went quiet (see attach). */
  private typedSinceSettle: Record<PaneId, 'none' | 'text' | 'other'> = { host: 'none', container: 'none' };
  onQuit: () => void = () => {};
  /** Ctrl-g l: back to the lab list. */
  onList: () => void = () => {};
  /** Ctrl-g i: the live namespace inspector over the pane that is not focused. */
  readonly inspector = new Inspector(() => this.inspectorTarget());

  constructor(private readonly options: SessionOptions) {
    this.size = { columns: options.columns, rows: options.rows };
    this.state = {
      status: 'starting',
      error: null,
      focus: FIRST_FOCUS,
      helpOpen: false,
      prefixArmed: false,
      titles: { host: null, container: null },
      exited: { host: false, container: false },
      layout: computeLayout(this.layoutInput()),
      stage: null,
      notice: null,
      alert: null,
      noticeTick: 0,
      frame: 0,
    };
  }

  get view(): SessionView {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens (or re-opens, for a reset) the stage with a fresh lab world. `prepared` is a stage
   * already being opened for `spec` (nslab starts the world while it loads the UI).
   */
  async start(spec: StageSpec = this.options.spec, prepared?: Promise<Stage>): Promise<void> {
    // Only the latest start may attach its stage: a second Ctrl-g r during a start must not
    // leave the first one's world running unseen.
    const generation = ++this.generation;
    const old = this.state.stage;
    this.update({ status: 'starting', stage: null, error: null, exited: { host: false, container: false } });
    if (old) await old.close();
    this.inspector.forget();
    const { paneCols, paneRows } = this.state.layout;
    try {
      const stage = await (prepared ?? Stage.open(spec, this.options.rootfsTar, { cols: paneCols, rows: paneRows }));
      if (this.closed || generation !== this.generation) {
        await stage.close();
        return;
      }
      stage.resize({ cols: this.state.layout.paneCols, rows: this.state.layout.paneRows });
      this.attach(stage);
      // The stage opened in its starting state (Stage.open waits for both prompts): a lab
      // takes its baseline from here, and not one check has run before this point.
      this.hooks.onStage?.(stage);
      this.update({ status: 'ready', stage });
      setImmediate(() => warmKeyPath(stage));
      this.refreshTitles();
      this.hooks.onSettled?.();
      void this.inspector.refresh();
    } catch (error) {
      if (generation !== this.generation) return;
      this.update({ status: 'failed', error: error instanceof Error ? error.message : String(error) });
    }
  }

  private attach(stage: Stage): void {
    this.typedSinceSettle = { host: 'none', container: 'none' };
    for (const id of PANE_IDS) {
      const pane = stage[id];
      pane.onQuiet(() => {
        if (this.state.stage !== stage) return;
        // A limit the lab ran into (a fork loop, a memory hog) is said in words, once.
        const limit = stage.world.limits.poll()[0];
        if (limit) this.setNotice(limit.message);
        // The echo of letters typed at a prompt changes nothing in the kernel: no check run,
        // title or inspector read for it (they cost 10-100 ms of CPU after every key, which is
        // what limited how many sessions a machine holds). Enter, Ctrl-C, anything else typed,
        // or output nobody typed for, and they run.
        const echoOnly = this.typedSinceSettle[id] === 'text';
        this.typedSinceSettle[id] = 'none';
        if (echoOnly) return;
        this.refreshTitles();
        this.hooks.onSettled?.();
        void this.inspector.refresh();
      });
      pane.onExit(() => {
        if (this.state.stage !== stage) return;
        this.update({ exited: { ...this.state.exited, [id]: true } });
        this.setNotice(`The ${id} shell exited. Ctrl-g r starts a fresh lab world.`);
      });
    }
  }

  /** Raw bytes from the user's terminal. */
  input(chunk: string): void {
    for (const action of this.keys.feed(chunk)) {
      if (action.kind === 'pane') {
        if (this.hooks.capture?.(action.data)) continue;
        const pane = this.state.stage?.[this.state.focus];
        if (pane) {
          this.typed += action.data.length;
          const typed = this.typedSinceSettle[this.state.focus];
          this.typedSinceSettle[this.state.focus] = typed !== 'other' && PLAIN_TEXT.test(action.data) ? 'text' : 'other';
          pane.write(encodeForPane(action.data, pane.applicationCursorKeys));
          holdOthersForAnswer(pane, PANE_IDS.map((other) => this.state.stage![other]));
        }
      } else {
        this.command(action.command, action.key);
      }
    }
    if (this.keys.armed !== this.state.prefixArmed) this.update({ prefixArmed: this.keys.armed });
  }

  private command(command: KeyCommand, key: string): void {
    switch (command) {
      case 'switch-focus':
        this.focus(this.state.focus === 'host' ? 'container' : 'host');
        return;
      case 'inspect':
        this.inspector.cycle();
        return;
      case 'help':
        this.update({ helpOpen: !this.state.helpOpen });
        return;
      case 'quit':
        this.onQuit();
        return;
      case 'list':
        this.onList();
        return;
      case 'reset':
        if (!this.hooks.onCommand) {
          this.setNotice('Starting a fresh lab world…');
          void this.start();
          return;
        }
        break;
      case 'unknown':
        this.setNotice('That key after Ctrl-g does nothing; Ctrl-g ? lists the keys.');
        return;
      default:
        break;
    }
    if (this.hooks.onCommand) this.hooks.onCommand(command, key);
    else this.setNotice('That key works inside a lab (nslab <lab-id>).');
  }

  /**
   * The user's terminal changed size. The layout, the emulators and the PTYs follow together,
   * at once: the ScreenWriter draws each pane's rows at the emulator's size, so an emulator
   * larger than its box for even one frame would draw over the borders and the panel.
   */
  resize(columns: number, rows: number): void {
    this.size = { columns, rows };
    this.relayout();
  }

  /** Recomputes the layout (the panel's text or the footer changed, or the terminal did). */
  relayout(): void {
    const layout = computeLayout(this.layoutInput());
    if (sameLayout(this.state.layout, layout)) return;
    this.state.stage?.resize({ cols: layout.paneCols, rows: layout.paneRows });
    this.update({ layout });
  }

  private layoutInput(): LayoutInput {
    const lab = this.options.withLabPanel ?? false;
    // A number: presenter mode's fixed panels (src/layout.ts).
    const fixedPanelRows = typeof lab === 'number' ? lab : undefined;
    return { ...this.size, inLab: lab !== false, fixedPanelRows, panel: this.panel, notice: this.state?.notice ?? null, alert: this.state?.alert ?? null };
  }

  /** Rows the lab panel scrolls by: a page of its text, less one to keep context. */
  panelPage(): number {
    return Math.max(1, this.state.layout.panelInnerRows - 2);
  }

  /**
   * Moves the focus (the inspector, drawn over the other pane, moves with it). With the panes
   * on screen as they are, only the focus listeners hear of it (the ScreenWriter redraws two
   * borders and a cursor): a change of the view re-renders the whole screen through Ink.
   */
  focus(pane: PaneId): void {
    if (pane === this.state.focus) return;
    if (this.state.helpOpen || this.inspector.view.mode !== null) {
      this.update({ focus: pane, helpOpen: false });
    } else {
      this.state = { ...this.state, focus: pane };
      for (const listener of this.focusListeners) listener(pane);
    }
    void this.inspector.refresh();
  }

  /** The focus moved without a change of the view (see focus). Returns an unsubscribe. */
  onFocus(listener: (focus: PaneId) => void): () => void {
    this.focusListeners.add(listener);
    return () => this.focusListeners.delete(listener);
  }

  private inspectorTarget(): InspectorTarget | null {
    const stage = this.state.stage;
    if (!stage) return null;
    const focus = this.state.focus;
    return { labHost: stage.labHostPid, panes: [stage.host.pid, stage.container.pid], focused: stage[focus].foregroundPid(), focusedName: focus };
  }

  setNotice(notice: string | null): void {
    this.update({ notice, noticeTick: 0 });
    this.relayout();
    if (this.noticeTimer) clearInterval(this.noticeTimer);
    this.noticeTimer = null;
    if (this.state.layout.footer.notice.length > NOTICE_ROWS) {
      this.noticeTimer = setInterval(() => this.update({ noticeTick: this.state.noticeTick + 1 }), NOTICE_SCROLL_MS);
      this.noticeTimer.unref();
    }
  }

  setAlert(alert: string | null): void {
    if (alert === this.state.alert) return;
    this.update({ alert });
    this.relayout();
  }

  private refreshTitles(): void {
    const stage = this.state.stage;
    if (!stage) return;
    const titles = { host: null, container: null } as Record<PaneId, PaneTitle | null>;
    for (const id of PANE_IDS) {
      const pid = stage[id].foregroundPid();
      titles[id] = pid === null ? null : paneTitle(pid, stage.labHostPid);
    }
    // Every pane going quiet lands here (each echoed key, 120 ms later); an unchanged title is
    // no reason for a React render and a whole Ink frame.
    if (JSON.stringify(titles) === JSON.stringify(this.state.titles)) return;
    this.update({ titles });
  }

  private update(patch: Partial<SessionView>): void {
    // Errors and notices may quote a tool's output from inside the lab.
    if (patch.error) patch = { ...patch, error: printable(patch.error) };
    if (patch.notice) patch = { ...patch, notice: printable(patch.notice) };
    if (patch.alert) patch = { ...patch, alert: printable(patch.alert) };
    this.state = { ...this.state, ...patch, frame: this.state.frame + 1 };
    for (const listener of this.listeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.noticeTimer) clearInterval(this.noticeTimer);
    await this.state.stage?.close();
  }
}

function sameLayout(a: Layout, b: Layout): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Runs the path a typed key takes once, with nothing sent: V8 compiles a function the first
 * time it runs and its inline caches start empty: the first key after a start took 0.9-1.8 ms
 * from nslab's stdin to the pane's write(2), the next ones 0.1 (0.5 with this; measured with
 * hrtime marks). The key machine and encoder are pure; a pane's warm-up is a zero-length
 * write(2) (Pane.warmWrite).
 */
function warmKeyPath(stage: Stage): void {
  new PrefixKeyMachine().feed('warm');
  PLAIN_TEXT.test('warm');
  for (const id of PANE_IDS) {
    encodeForPane('warm', stage[id].applicationCursorKeys);
    stage[id].warmWrite();
  }
}
