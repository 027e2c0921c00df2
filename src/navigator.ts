/**
 * Which screen is up — the lab list, a lab, or the playground — and where keys go. The lab
 * list has its own few keys; in a lab or the playground every key goes to the session.
 */
import { LabController } from './labs/lab-session.ts';
import type { Progress, ProgressStore } from './labs/progress.ts';
import type { Lab } from './labs/types.ts';
import { Session } from './session/session.ts';
import { PLAYGROUND, type Stage } from './world/stage.ts';

export type Screen =
  | { readonly kind: 'list'; readonly selected: number }
  | { readonly kind: 'lab'; readonly lab: LabController; readonly session: Session }
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
  onQuit: () => void = () => {};

  constructor(
    labs: readonly Lab[],
    private readonly store: ProgressStore,
    private readonly rootfsTar: string,
    size: { columns: number; rows: number },
  ) {
    const { progress, warning } = store.load();
    this.state = { screen: { kind: 'list', selected: 0 }, labs, progress, warning, ...size, frame: 0 };
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
    const { progress } = this.store.load();
    this.update({ labs, progress });
  }

  async openLab(id: string, prepared?: Promise<Stage>): Promise<void> {
    const lab = this.state.labs.find((l) => l.id === id);
    if (!lab) throw new Error(`no lab ${id}`);
    await this.leave();
    const session = this.newSession(true);
    const controller = new LabController(lab, session, this.store);
    this.update({ screen: { kind: 'lab', lab: controller, session } });
    await controller.open(prepared);
  }

  async openPlayground(prepared?: Promise<Stage>): Promise<void> {
    await this.leave();
    const session = this.newSession(false);
    this.update({ screen: { kind: 'play', session } });
    await session.start(PLAYGROUND, prepared);
  }

  async openList(): Promise<void> {
    await this.leave();
    const { progress } = this.store.load();
    const index = this.state.screen.kind === 'lab' ? this.state.labs.indexOf(this.state.screen.lab.lab) : 0;
    this.update({ screen: { kind: 'list', selected: Math.max(0, index) }, progress });
  }

  private newSession(withLabPanel: boolean): Session {
    const session = new Session({ spec: PLAYGROUND, rootfsTar: this.rootfsTar, columns: this.state.columns, rows: this.state.rows, withLabPanel });
    session.onQuit = () => this.onQuit();
    session.onList = () => void this.openList();
    return session;
  }

  private async leave(): Promise<void> {
    const screen = this.state.screen;
    if (screen.kind !== 'list') await screen.session.close();
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
    const move = (delta: number) => this.update({ screen: { kind: 'list', selected: (screen.selected + delta + count) % count } });
    switch (key) {
      case '\x1b[A': case '\x1bOA': case 'k':
        move(-1);
        return;
      case '\x1b[B': case '\x1bOB': case 'j':
        move(1);
        return;
      case '\r': case '\n':
        void this.openLab(this.state.labs[screen.selected]!.id);
        return;
      case 'p':
        void this.openPlayground();
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
    await this.leave();
  }

  private update(patch: Partial<NavigatorView>): void {
    this.state = { ...this.state, ...patch, frame: this.state.frame + 1 };
    for (const listener of this.listeners) listener();
  }
}

/** Splits raw terminal input into keys: CSI and SS3 sequences stay whole, the rest is per character. */
export function splitKeys(chunk: string): string[] {
  const keys: string[] = [];
  const pattern = /\x1b\[[0-9;]*[@-~]|\x1bO.|\x1b.|[\s\S]/gu;
  for (const match of chunk.matchAll(pattern)) keys.push(match[0]);
  return keys;
}
