/** The full-screen app wired to the terminal: `nslab`, `nslab <lab-id>`, `nslab play`. */
import type { Lab } from '../src/labs/types.ts';
import { ProgressStore } from '../src/labs/progress.ts';
import { EventLog } from '../src/report/event-log.ts';
import { Navigator } from '../src/navigator.ts';
import type { Stage } from '../src/world/stage.ts';
import { App } from './App.tsx';
import { runFullscreen } from './fullscreen.tsx';

/** What to open first; a lab or the playground may come with its stage already opening. */
export type Start =
  | { readonly kind: 'list' }
  | { readonly kind: 'lab'; readonly id: string; readonly stage?: Promise<Stage> }
  | { readonly kind: 'play'; readonly stage?: Promise<Stage> };

/** Runs the app until the user quits (or a signal arrives); the lab world goes with it. */
/** `notice`: said on the first screen (what a rootfs import did). */
export async function runApp(labs: Promise<readonly Lab[]>, rootfsTar: string, start: Start, notice: string | null = null): Promise<void> {
  const size = { columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 };
  // The playground opens without waiting for the lab files; everything else starts from them.
  const store = new ProgressStore();
  const log = new EventLog(store.dir);
  const navigator = new Navigator(start.kind === 'play' ? [] : await labs, store, rootfsTar, size, (event) => log.append(event), { notice });
  if (start.kind === 'play') void labs.then((loaded) => navigator.setLabs(loaded), () => {});
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let quitting = false;
  const quit = () => {
    if (quitting) return;
    quitting = true;
    screen.restore();
    void navigator.close().then(finish, finish);
  };
  const screen = runFullscreen(<App navigator={navigator} />, {
    onInput: (chunk) => navigator.input(chunk),
    onResize: (columns, rows) => navigator.resize(columns, rows),
    onSignal: quit,
  });
  navigator.onQuit = quit;
  if (start.kind === 'lab') await navigator.openLab(start.id, start.stage);
  else if (start.kind === 'play') await navigator.openPlayground(start.stage);
  await finished;
}
