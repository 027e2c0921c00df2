/**
 * What nslab draws, to the user's terminal, without ever waiting for it.
 *
 * Node.js writes to a terminal synchronously (process.stdout on a TTY is put in blocking mode):
 * when the terminal reads slower than nslab draws (a pane flooding, a slow ssh link, a busy
 * terminal emulator), write(2) blocks as soon as the PTY's buffer is full (about 20 KB here),
 * and with it every key, every pane and every check of nslab, until the terminal catches up.
 * tmux does not wait either: tty.c stops drawing into a terminal that is behind (TTY_BLOCK)
 * and redraws once it has drained.
 *
 * Here frames go out through a descriptor of nslab's own, opened non-blocking: the terminal
 * reopened through /proc/self/fd/1, a new open file description, so the shell that started
 * nslab keeps its blocking one (open(2), O_NONBLOCK is a flag of the description). What the
 * terminal does not take at once waits here, in order, and `behind` tells the ScreenWriter to
 * draw nothing new until it is gone: its damage is kept, and the frame after the drain shows
 * everything that changed meanwhile. While behind, the rest is retried every RETRY_MS.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';

/** How often a terminal that is behind is offered the rest. */
const RETRY_MS = 2;
/** At the end, how long the last words (leaving the alternate screen) may wait for the terminal. */
const FINISH_MS = 1_000;
/** CAN: aborts an escape sequence a dropped frame may have left half-written (ECMA-48 8.3.6). */
const CANCEL = '\x18';

export class TerminalOutput {
  private pending: Buffer | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly fd: number,
    /** Called once the terminal has taken everything after being behind. */
    private readonly onDrain: () => void,
    /** Every byte written, as text (the session recording). */
    private readonly onWrite: (data: string) => void,
  ) {}

  /** A non-blocking writer of standard output's terminal, or null when it cannot be reopened. */
  static open(onDrain: () => void, onWrite: (data: string) => void = () => {}): TerminalOutput | null {
    try {
      // (libuv opens every file close-on-exec: no program nslab starts inherits it.)
      const fd = openSync('/proc/self/fd/1', constants.O_WRONLY | constants.O_NOCTTY | constants.O_NONBLOCK);
      return new TerminalOutput(fd, onDrain, onWrite);
    } catch {
      return null;
    }
  }

  /** The terminal has not yet taken all that was written. */
  get behind(): boolean {
    return this.pending !== null;
  }

  /** Writes `data` now, or after what waits; false when some of it must wait. */
  write(data: string): boolean {
    if (this.closed) return true;
    this.onWrite(data);
    const bytes = Buffer.from(data, 'utf8');
    if (this.pending) {
      this.pending = Buffer.concat([this.pending, bytes]);
      return false;
    }
    const rest = this.offer(bytes);
    if (rest === null) return true;
    this.pending = rest;
    this.retry = setTimeout(() => this.flush(), RETRY_MS);
    return false;
  }

  /**
   * The last bytes nslab writes (leaving the alternate screen): a frame still waiting is
   * dropped (the screen it drew is about to be left), then `data` is offered for FINISH_MS at
   * most. Synchronous: it runs on the way out, also from an 'exit' handler.
   */
  finish(data: string): void {
    if (this.closed) return;
    const dropped = this.pending !== null;
    this.stopRetry();
    this.pending = null;
    const last = (dropped ? CANCEL : '') + data;
    this.onWrite(last);
    let rest: Buffer | null = Buffer.from(last, 'utf8');
    const deadline = performance.now() + FINISH_MS;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while ((rest = this.offer(rest)) !== null && performance.now() < deadline) Atomics.wait(pause, 0, 0, RETRY_MS);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopRetry();
    this.pending = null;
    try {
      closeSync(this.fd);
    } catch {
      // already gone with the terminal
    }
  }

  private flush(): void {
    this.retry = null;
    if (this.closed || !this.pending) return;
    this.pending = this.offer(this.pending);
    if (this.pending) this.retry = setTimeout(() => this.flush(), RETRY_MS);
    else this.onDrain();
  }

  /** Writes what the terminal takes now; returns the rest, or null when all of it went. */
  private offer(bytes: Buffer): Buffer | null {
    let offset = 0;
    while (offset < bytes.length) {
      try {
        offset += writeSync(this.fd, bytes, offset);
      } catch (error) {
        // EAGAIN: the terminal's buffer is full. Anything else (EIO: the terminal hung up) ends
        // the output: SIGHUP follows, and nothing could be shown anyway.
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return bytes.subarray(offset);
        return null;
      }
    }
    return null;
  }

  private stopRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }
}
