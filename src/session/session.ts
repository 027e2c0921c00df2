/**
 * The session behind the screen: it owns the stage (world + panes), the focus, the key
 * prefix machine and the pane titles, and tells the view when to draw. No React here; the
 * Ink views subscribe and read `view`.
 */
import { computeLayout, type Layout } from '../layout.ts';
import { printable } from '../printable.ts';
import { PrefixKeyMachine, encodeForPane, type KeyCommand } from '../term/keys.ts';
import { Stage, type StageSpec } from '../world/stage.ts';
import { summarizeNamespaces, type NamespaceSummary } from './namespace-summary.ts';
import { Inspector, type InspectorTarget } from '../inspect/inspector.ts';

export type PaneId = 'host' | 'container';
export const PANE_IDS: readonly PaneId[] = ['host', 'container'];

const RESIZE_DEBOUNCE_MS = 60;
/** Keys that only edit the line at a prompt: printable characters and backspace. */
const PLAIN_TEXT = /^[\x20-\x7e\x7f\b]+$/;

export interface SessionView {
  readonly status: 'starting' | 'ready' | 'failed';
  readonly error: string | null;
  readonly focus: PaneId;
  readonly helpOpen: boolean;
  readonly prefixArmed: boolean;
  readonly titles: Readonly<Record<PaneId, NamespaceSummary | null>>;
  readonly exited: Readonly<Record<PaneId, boolean>>;
  readonly layout: Layout;
  readonly stage: Stage | null;
  /** A line for the footer: what just happened, or what to do next. */
  readonly notice: string | null;
  /**
   * Increments on every change of this view. Pane output is not a change of the view: the
   * ScreenWriter draws it straight from the panes (src/term/screen-writer.ts).
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
}

export class Session {
  private state: SessionView;
  private readonly keys = new PrefixKeyMachine();
  private listeners = new Set<() => void>();
  private resizeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private generation = 0;
  hooks: SessionHooks = {};
  /** What was typed into each pane since it last went quiet (see attach). */
  private typedSinceSettle: Record<PaneId, 'none' | 'text' | 'other'> = { host: 'none', container: 'none' };
  onQuit: () => void = () => {};
  /** Ctrl-g l: back to the lab list. */
  onList: () => void = () => {};
  /** Ctrl-g i: the live namespace inspector over the pane that is not focused. */
  readonly inspector = new Inspector(() => this.inspectorTarget());

  constructor(private readonly options: SessionOptions) {
    this.state = {
      status: 'starting',
      error: null,
      focus: 'container',
      helpOpen: false,
      prefixArmed: false,
      titles: { host: null, container: null },
      exited: { host: false, container: false },
      layout: computeLayout(options.columns, options.rows, options.withLabPanel ?? false),
      stage: null,
      notice: null,
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
      stage.resize({ cols: paneCols, rows: paneRows });
      this.attach(stage);
      this.update({ status: 'ready', stage });
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
        if (limit) this.update({ notice: limit.message });
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
        this.update({
          exited: { ...this.state.exited, [id]: true },
          notice: `The ${id} shell exited. Ctrl-g r starts a fresh lab world.`,
        });
      });
    }
  }

  /** Raw bytes from the user's terminal. */
  input(chunk: string): void {
    for (const action of this.keys.feed(chunk)) {
      if (action.kind === 'pane') {
        const pane = this.state.stage?.[this.state.focus];
        if (pane) {
          const typed = this.typedSinceSettle[this.state.focus];
          this.typedSinceSettle[this.state.focus] = typed !== 'other' && PLAIN_TEXT.test(action.data) ? 'text' : 'other';
          pane.write(encodeForPane(action.data, pane.applicationCursorKeys));
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
          this.update({ notice: 'Starting a fresh lab world…' });
          void this.start();
          return;
        }
        break;
      default:
        break;
    }
    if (this.hooks.onCommand) this.hooks.onCommand(command, key);
    else if (command !== 'unknown') this.update({ notice: 'That key works inside a lab (nslab <lab-id>).' });
  }

  /** The user's terminal changed size: resize the emulators and PTYs together, debounced. */
  resize(columns: number, rows: number): void {
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      const layout = computeLayout(columns, rows, this.options.withLabPanel ?? false);
      this.state.stage?.resize({ cols: layout.paneCols, rows: layout.paneRows });
      this.update({ layout });
    }, RESIZE_DEBOUNCE_MS);
  }

  /** Moves the focus (the inspector, drawn over the other pane, moves with it). */
  focus(pane: PaneId): void {
    if (pane === this.state.focus) return;
    this.update({ focus: pane, helpOpen: false });
    void this.inspector.refresh();
  }

  private inspectorTarget(): InspectorTarget | null {
    const stage = this.state.stage;
    if (!stage) return null;
    const focus = this.state.focus;
    return { labHost: stage.labHostPid, panes: [stage.host.pid, stage.container.pid], focused: stage[focus].foregroundPid(), focusedName: focus };
  }

  setNotice(notice: string | null): void {
    this.update({ notice });
  }

  private refreshTitles(): void {
    const stage = this.state.stage;
    if (!stage) return;
    const titles = { host: null, container: null } as Record<PaneId, NamespaceSummary | null>;
    for (const id of PANE_IDS) {
      const pid = stage[id].foregroundPid();
      titles[id] = pid === null ? null : summarizeNamespaces(pid, stage.labHostPid);
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
    this.state = { ...this.state, ...patch, frame: this.state.frame + 1 };
    for (const listener of this.listeners) listener();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.resizeTimer) clearTimeout(this.resizeTimer);
    await this.state.stage?.close();
  }
}
