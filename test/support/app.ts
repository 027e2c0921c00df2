/**
 * The real nslab app in a PTY, its output parsed by a second headless terminal, the way a user
 * would see it (Ink's own e2e tests work this way).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty, { type IPty } from 'node-pty';
import xtermHeadless from '@xterm/headless';

const { Terminal } = xtermHeadless;

export class AppUnderTest {
  readonly term: InstanceType<typeof Terminal>;
  readonly exited: Promise<number>;
  readonly stateDir: string;
  /** Bytes the app has written to its terminal so far. */
  bytes = 0;
  private readonly pty: IPty;

  constructor(args: string[], options: { cols?: number; rows?: number; stateDir?: string; preload?: string; env?: Record<string, string> } = {}) {
    const cols = options.cols ?? 160;
    const rows = options.rows ?? 45;
    this.stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), 'nslab-e2e-state-'));
    this.term = new Terminal({ cols, rows, allowProposedApi: true });
    const preload = options.preload ? ['--import', options.preload] : [];
    // The real entry point, as `npm start` and an installed `nslab` run it.
    this.pty = pty.spawn(process.execPath, [...preload, 'bin/nslab.js', ...args], {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: process.cwd(),
      env: {
        ...process.env,
        XDG_CACHE_HOME: join(tmpdir(), 'nslab-test-xdg-cache'),
        XDG_STATE_HOME: this.stateDir,
        ...options.env,
      } as Record<string, string>,
    });
    this.pty.onData((d) => {
      this.bytes += Buffer.byteLength(d);
      this.term.write(d);
    });
    // Once what the program wrote last is on the screen too: node-pty reports the exit after
    // the last data, but xterm.js parses that data later, on its own timer (an e2e test read the
    // screen at exit and found the last words not yet parsed).
    this.exited = new Promise((resolve) => this.pty.onExit(({ exitCode }) => this.term.write('', () => resolve(exitCode))));
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** The visible screen as text, one line per row. */
  screen(): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '');
    return lines.join('\n');
  }

  /** The text of the left or right half of the screen (the host and container panes). */
  half(side: 'left' | 'right'): string {
    const mid = Math.floor(this.term.cols / 2);
    return this.screen()
      .split('\n')
      .map((line) => (side === 'left' ? line.slice(0, mid) : line.slice(mid)))
      .join('\n');
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
    this.pty.resize(cols, rows);
  }

  type(data: string): void {
    this.pty.write(data);
  }

  /** The outer terminal stops reading what the app writes (as a slow or frozen terminal does). */
  pauseReading(): void {
    this.pty.pause();
  }

  resumeReading(): void {
    this.pty.resume();
  }

  /**
   * Waits until the screen satisfies `predicate`, looked at only between frames: nslab wraps
   * each frame in synchronized-update mode (DEC mode 2026), and a terminal that honours it
   * shows a frame whole or not at all. Mid-frame (a frame larger than one PTY read arrives in
   * pieces), the screen is one pane drawn and the other not yet: no person sees that.
   */
  async waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.term.modes.synchronizedOutputMode && predicate(this.screen())) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}; the screen shows:\n${this.screen()}`);
  }

  kill(): void {
    try {
      this.pty.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
