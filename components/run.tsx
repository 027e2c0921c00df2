/** The full-screen app wired to the terminal: `nslab`, `nslab <lab-id>`, `nslab play`. */
import type { Lab } from '../src/labs/types.ts';
import { ProgressStore } from '../src/labs/progress.ts';
import { EventLog, type EventBody } from '../src/report/event-log.ts';
import type { CastRecorder } from '../src/record/asciicast.ts';
import { Navigator } from '../src/navigator.ts';
import { FIRST_FRAME_WAIT_MS, takeTerminal, type TerminalHandle } from '../src/term/terminal.ts';
import type { Stage } from '../src/world/stage.ts';
import { App } from './App.tsx';
import { mark } from '../src/trace.ts';
import { mountInk } from './fullscreen.tsx';

/** What to open first; a lab or the playground may come with its stage already opening. */
export type Start =
  | { readonly kind: 'list' }
  | { readonly kind: 'lab'; readonly id: string; readonly stage?: Promise<Stage> }
  | { readonly kind: 'play'; readonly stage?: Promise<Stage> }
  | { readonly kind: 'present'; readonly id: string; readonly stage?: Promise<Stage>; readonly step: number };

export interface RunOptions {
  /** --record: every byte drawn goes into this asciicast, step passes as markers. */
  readonly recorder?: CastRecorder;
  /** Labs refused at load (file, step and field), shown in the lab list. */
  readonly labProblems?: string | null;
  /** Said on the first screen (what a rootfs import did). */
  readonly notice?: string | null;
  /** The terminal, already taken (src/cli.ts: the playground's panes may be on it before Ink is loaded). */
  readonly terminal?: TerminalHandle;
  /** The start's stage is open and its panes are on that terminal: the views wait for the session to attach it. */
  readonly stageShown?: boolean;
}

/** How long after the first screen a lab loader starts (the first frames are drawn by then). */
const LABS_AFTER_SCREEN_MS = 200;

/** Runs the app until the user quits (or a signal arrives); the lab world goes with it. */
export async function runApp(labs: Promise<readonly Lab[]> | (() => Promise<readonly Lab[]>), rootfsTar: string, start: Start, options: RunOptions = {}): Promise<void> {
  const size = { columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 };
  const { recorder } = options;
  // The playground opens without waiting for the lab files; everything else starts from them.
  const store = new ProgressStore();
  const log = new EventLog(store.dir);
  // A grader jumps from marker to marker: one at each step pass.
  const markStep = (event: EventBody) => {
    if (event.type === 'step-passed') recorder?.marker(`${event.lab}: step ${event.step + 1} passed (${event.stepId})`);
  };
  const events = (event: EventBody) => {
    markStep(event);
    log.append(event);
  };
  const navigator = new Navigator(start.kind === 'play' || typeof labs === 'function' ? [] : await labs, store, rootfsTar, size, events, options.labProblems ?? null, { notice: options.notice ?? null });
  // Labs given as a loader (the playground's) are loaded once the first screen is out: loading
  // them (yaml, zod, the lab files through tsx) is a few hundred ms of this thread's time, which
  // must not come between the launch and the first frame.
  const setLabs = (list: Promise<readonly Lab[]>) => void list.then((loaded) => navigator.setLabs(loaded), () => {});
  if (typeof labs !== 'function' && start.kind === 'play') setLabs(labs);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let quitting = false;
  let screen: ReturnType<typeof mountInk> | undefined;
  let terminal: TerminalHandle | undefined;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    screen?.unmount();
    terminal?.restore();
    recorder?.close();
    void navigator.close().then(finish, finish);
  };
  // The first screen is opened before anything is drawn: while the stage is still opening, its
  // views would render "starting" and then each step of the opening (every render of a cold
  // Ink is tens of ms, measured), all before the frame that shows the prompts. It is drawn at
  // once when the opening takes long (a slow machine: the person sees it coming).
  const opening =
    start.kind === 'lab' ? navigator.openLab(start.id, start.stage)
    : start.kind === 'present' ? navigator.openPresentation(start.id, start.stage, start.step, markStep)
    : start.kind === 'play' ? navigator.openPlayground(start.stage)
    : Promise.resolve();
  // With the panes already shown the stage is open and the session attaches it within this turn's
  // microtasks; keys typed meanwhile are delivered after that, none to a session without a stage.
  let timer: NodeJS.Timeout | undefined;
  if (options.stageShown) await opening.catch(() => {});
  else if (!options.terminal) await Promise.race([opening.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_FRAME_WAIT_MS)))]);
  clearTimeout(timer);
  terminal = options.terminal ?? takeTerminal(recorder);
  // The size now: the terminal may have been resized while the first frame waited.
  const now = { columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 };
  if (now.columns !== size.columns || now.rows !== size.rows) navigator.resize(now.columns, now.rows);
  mark('ink-start');
  screen = mountInk(<App navigator={navigator} />, terminal.writer, now.columns, now.rows);
  navigator.onQuit = quit;
  // Keys typed while the views loaded are delivered now, in order (a Ctrl-g q among them quits).
  terminal.route({
    onInput: (chunk) => navigator.input(chunk),
    onResize: (columns, rows) => {
      navigator.resize(columns, rows);
      screen?.resize(columns, rows);
    },
    onSignal: quit,
  });
  mark('ink-mounted');
  if (typeof labs === 'function') setTimeout(() => setLabs(labs()), LABS_AFTER_SCREEN_MS);
  await opening;
  await finished;
}
