/**
 * One terminal pane: a real PTY (node-pty) whose output is parsed by a headless xterm.js
 * emulator. The UI only reads the emulator's screen; it never sees PTY bytes.
 *
 * Flow control: no byte's effect is ever lost. When the emulator falls behind (a program floods
 * the pane), the PTY is paused, and the kernel's PTY buffer then blocks the writer, until
 * xterm.js has parsed the backlog. Frames may be dropped; of the bytes, only plain lines that
 * the rest of the backlog provably scrolls away unseen are skipped (flood.ts). A pane that
 * streams is also held (not read, not parsed) while a key typed in another pane waits for its
 * answer, for a few milliseconds at most (input-first.ts).
 *
 * Parsing is fed to xterm.js in slices of at most PARSE_SLICE characters, the next slice only
 * after the previous one is parsed: xterm.js otherwise parses a whole backlog in one go (it
 * yields only every 12 ms), and a key typed meanwhile, or the other pane's echo, would wait
 * behind it. Between slices the event loop reads the keyboard and the other pane.
 */
import pty, { type IPty } from 'node-pty';
import xtermHeadless from '@xterm/headless';
import unicode11 from '@xterm/addon-unicode11';
import { writeSync } from 'node:fs';
import { isNonBlocking, setCloseOnExec, tcgetpgrp } from '../../native/libc.ts';
import { canSkipPlainText, isPlainText, overwrittenPoint } from './flood.ts';

const { Terminal } = xtermHeadless;
const { Unicode11Addon } = unicode11;
type HeadlessTerminal = InstanceType<typeof Terminal>;

/** Pause the PTY above this many unparsed characters, resume below the low mark. */
const BACKLOG_HIGH = 1 << 20;
const BACKLOG_LOW = 1 << 16;
/** Characters handed to the emulator at once (about a millisecond of parsing). */
const PARSE_SLICE = 1 << 15;
/** A backlog this long is looked at for plain text to skip (flood.ts). */
const MIN_SKIP = 1 << 13;
/** Writes up to this many characters (keys, a short paste) skip node-pty's queue. */
const DIRECT_WRITE_MAX = 256;
/** Output within this many ms of the last change is a stream (a flood), not an answer. */
export const STREAMING_MS = 30;
/** A pane is "quiet" this long after its last output: the moment to re-read the kernel. */
export const QUIET_MS = 120;

export interface PaneOptions {
  readonly argv: readonly string[];
  readonly env: Record<string, string>;
  readonly cols: number;
  readonly rows: number;
  readonly scrollback?: number;
  /**
   * Whether a real pid is, right now, a process of the lab world in session `session` (see
   * src/world/lab-process.ts). Without it, foregroundPid() answers no process at all.
   */
  readonly owns?: (pid: number, session: number) => boolean;
}

/** Rows of the viewport that changed (inclusive, 0 = top visible row). */
export interface Damage {
  readonly from: number;
  readonly to: number;
}

/**
 * The emulator's own record of which rows a parse changed. xterm.js's InputHandler keeps it
 * for its renderer (onRequestRefreshRows: a row range, or undefined for "everything", as on a
 * buffer switch) but @xterm/headless does not expose it; it is read defensively, and without
 * it every change damages every row (correct, only slower).
 */
interface RefreshSource {
  onRequestRefreshRows(listener: (range: { start: number; end: number } | undefined) => void): unknown;
  onRequestReset(listener: () => void): unknown;
}

function refreshSource(term: HeadlessTerminal): RefreshSource | null {
  const handler = (term as unknown as { _core?: { _inputHandler?: Partial<RefreshSource> } })._core?._inputHandler;
  return typeof handler?.onRequestRefreshRows === 'function' && typeof handler.onRequestReset === 'function' ? (handler as RefreshSource) : null;
}

export interface PaneExit {
  readonly exitCode: number;
  readonly signal?: number;
}

export class Pane {
  readonly term: HeadlessTerminal;
  private readonly pty: IPty;
  private readonly owns: (pid: number, session: number) => boolean;
  private backlog = 0;
  /** The master is non-blocking: small writes may go straight to write(2) (writePty). */
  private directWrites = false;
  /** Reading from the PTY is paused (by flow control, or held for another pane's key). */
  private paused = false;
  private flowPaused = false;
  /** Holds for another pane's key (hold()); while any is on, nothing is read or parsed. */
  private holds = 0;
  /** Received, not yet handed to the emulator; `plain` once looked at (flood.ts isPlainText). */
  private queue: Array<{ text: string; plain: boolean | undefined }> = [];
  /** `received` when skipOverwritten last found nothing to skip: it looks again after MIN_SKIP more. */
  private skipTriedAt = -Infinity;
  private parsing = false;
  private lastOutputAt = 0;
  /** When the screen last changed, and when a key was last written (performance.now()). */
  lastChangeAt = 0;
  lastInputAt = 0;
  private quietTimer: NodeJS.Timeout | null = null;
  private changeListeners: Array<() => void> = [];
  private damageListeners: Array<(damage: Damage) => void> = [];
  private quietListeners: Array<() => void> = [];
  private exitListeners: Array<(exit: PaneExit) => void> = [];
  exit: PaneExit | null = null;
  /** Total characters received from the PTY (for benchmarks and tests). */
  received = 0;
  /** Of those, characters of plain text skipped unparsed as overwritten (src/term/flood.ts). */
  skipped = 0;

  constructor(options: PaneOptions) {
    this.term = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback ?? 0,
      allowProposedApi: true,
      // xterm.js reports every malformed sequence on the console by default (about a kilobyte
      // each): `cat` of a binary file printed megabytes of them over the screen.
      logLevel: 'off',
    });
    // Unicode 11 widths (emoji are two cells) agree with string-width, which Ink lays out by.
    this.term.loadAddon(new Unicode11Addon());
    this.term.unicode.activeVersion = '11';
    this.owns = options.owns ?? (() => false);
    this.trackDamage();
    this.surviveParserErrors();
    this.pty = pty.spawn(options.argv[0]!, options.argv.slice(1), {
      name: 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      env: options.env,
    });
    setCloseOnExec(this.masterFd);
    this.directWrites = isNonBlocking(this.masterFd);
    this.pty.onData((data) => this.receive(data));
    // Programs that query the terminal (cursor position, device attributes) wait for the
    // answer; the emulator produces it and it must go back to the program.
    this.term.onData((data) => {
      if (!this.exit) this.writePty(data);
    });
    this.pty.onExit(({ exitCode, signal }) => {
      this.exit = { exitCode, signal };
      for (const listener of this.exitListeners) listener(this.exit);
    });
  }

  /**
   * Damage, as the emulator reports it while it parses: the rows a parse touched; every row
   * when the buffer scrolled (each visible row now shows another line), was reset, or when
   * the emulator reports no rows at all.
   */
  private trackDamage(): void {
    const all = () => this.damage({ from: 0, to: this.term.rows - 1 });
    const source = refreshSource(this.term);
    if (!source) {
      this.damageAll = true;
      return;
    }
    source.onRequestRefreshRows((range) => (range ? this.damage({ from: range.start, to: range.end }) : all()));
    source.onRequestReset(all);
    this.term.onScroll(all);
  }

  /**
   * An exception inside xterm.js's parser (seen under load after resizes: "Cannot read
   * properties of undefined (reading 'replaceCells')", a line past the buffer) would be thrown
   * from its own timer and end nslab, and the lab world with it. A pane's output must never do
   * that: the emulator is reset instead (the program's next output redraws it) and nslab goes
   * on. The write buffer is xterm.js's internal; if it moves, nothing is wrapped.
   */
  private surviveParserErrors(): void {
    const buffer = (this.term as unknown as { _core?: { _writeBuffer?: { _action?: unknown } } })._core?._writeBuffer;
    const action = buffer?._action;
    if (!buffer || typeof action !== 'function') return;
    buffer._action = (...args: unknown[]) => {
      try {
        return (action as (...a: unknown[]) => unknown).apply(buffer, args);
      } catch {
        this.parserErrors++;
        this.term.reset();
        this.damage({ from: 0, to: this.term.rows - 1 });
        return undefined;
      }
    };
  }

  /** xterm.js's write buffer (internal; read defensively: without it, parsing is on its timer). */
  private get writeBuffer(): { handleUserInput(): void } | null {
    const buffer = (this.term as unknown as { _core?: { _writeBuffer?: { handleUserInput?: unknown } } })._core?._writeBuffer;
    return typeof buffer?.handleUserInput === 'function' ? (buffer as { handleUserInput(): void }) : null;
  }

  /** Exceptions xterm.js's parser threw on this pane's output (survived by a reset). */
  parserErrors = 0;

  /** True when the emulator cannot say which rows changed: every change is then all of them. */
  private damageAll = false;

  private damage(d: Damage): void {
    for (const listener of this.damageListeners) listener(d);
  }

  /**
   * To the program in the pane. A few bytes (a key) are written at once, by write(2) on the
   * master: node-pty queues every write for libuv's thread pool (fs.write), which adds a
   * thread hop to each keystroke's echo. Only when nothing of node-pty's is queued (order),
   * and only on a non-blocking master: a program that stops reading its terminal fills the
   * PTY's buffer, and then write(2) fails with EAGAIN instead of blocking nslab; the rest
   * goes through node-pty's queue, which retries.
   */
  private writePty(data: string): void {
    if (data.length <= DIRECT_WRITE_MAX && this.directWrites && this.ptyQueueEmpty()) {
      const bytes = Buffer.from(data, 'utf8');
      let written = 0;
      try {
        written = writeSync(this.masterFd, bytes);
      } catch (error) {
        // EIO: the program's side of the terminal is closed (it exited; onExit follows). The
        // keys have nowhere to go, and a key must never throw out of the input handler.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      }
      if (written < bytes.length) this.pty.write(bytes.subarray(written) as unknown as string);
      return;
    }
    this.pty.write(data);
  }

  /** The write path once, with nothing written (a zero-length write(2) reaches no program). */
  warmWrite(): void {
    if (!this.exit) this.writePty('');
  }

  /** node-pty's own write queue is empty (read defensively: if its shape changes, never). */
  private ptyQueueEmpty(): boolean {
    const queue = (this.pty as unknown as { _writeStream?: { _writeQueue?: unknown } })._writeStream?._writeQueue;
    return Array.isArray(queue) && queue.length === 0;
  }

  private receive(data: string): void {
    this.received += data.length;
    this.backlog += data.length;
    if (!this.flowPaused && this.backlog > BACKLOG_HIGH) {
      this.flowPaused = true;
      this.syncReading();
    }
    this.queue.push({ text: data, plain: undefined });
    if (!this.parsing) this.parseNext();
    this.lastOutputAt = Date.now();
    this.quietTimer ??= setTimeout(() => this.checkQuiet(), QUIET_MS);
  }

  /** Hands the emulator the next slice of the queue; the following one once it is parsed. */
  private parseNext(): void {
    if (this.holds > 0) {
      this.parsing = false;
      return;
    }
    this.skipOverwritten();
    let slice = '';
    while (this.queue.length > 0 && slice.length < PARSE_SLICE) {
      const head = this.queue[0]!;
      const room = PARSE_SLICE - slice.length;
      if (head.text.length <= room) {
        slice += head.text;
        this.queue.shift();
      } else {
        // xterm.js joins a surrogate pair split across writes (its StringToUtf32 keeps it).
        slice += head.text.slice(0, room);
        this.queue[0] = { text: head.text.slice(room), plain: head.plain };
      }
    }
    if (slice === '') {
      this.parsing = false;
      return;
    }
    this.parsing = true;
    // The answer to a key, or output after a quiet moment, is parsed now: xterm.js's write()
    // otherwise starts parsing from a setTimeout (a millisecond later, every time); its "user
    // input" path parses at once. Output that keeps streaming stays on the timer, which lets
    // it pile up into a backlog that flood.ts can skip through, and parses it in larger bites.
    if (this.answersKey || !this.streaming) this.writeBuffer?.handleUserInput();
    this.term.write(slice, () => {
      this.backlog -= slice.length;
      if (this.flowPaused && this.backlog < BACKLOG_LOW) {
        this.flowPaused = false;
        this.syncReading();
      }
      this.emitChange();
      if (this.queue.length > 0) setImmediate(() => this.parseNext());
      else this.parsing = false;
    });
  }

  /** Pauses or resumes reading the PTY as flow control and holds ask. */
  private syncReading(): void {
    const pause = this.flowPaused || this.holds > 0;
    if (pause === this.paused || this.exit) return;
    this.paused = pause;
    if (pause) this.pty.pause();
    else this.pty.resume();
  }

  /** Held for another pane's key (hold()). */
  get held(): boolean {
    return this.holds > 0;
  }

  /**
   * Stops reading and parsing this pane until release() (src/term/input-first.ts: while a key
   * typed in another pane waits for its answer). Holds nest; what arrives meanwhile is queued,
   * and the program blocks once the PTY's buffer is full, as under flow control.
   */
  hold(): void {
    this.holds++;
    this.syncReading();
  }

  release(): void {
    if (this.holds === 0) return;
    this.holds--;
    this.syncReading();
    if (this.holds === 0 && !this.parsing && this.queue.length > 0) this.parseNext();
  }

  /**
   * Drops the beginning of a backlog of plain lines that the rest of it scrolls away unseen
   * (flood.ts: the emulator ends in the same state). Not bytes lost: their effect is
   * kept, only the parsing of text that no one could ever see is saved.
   *
   * It runs before every slice, so it must cost little: each chunk is looked at once for plain
   * text, the search runs backwards from the end of the plain chunks only as far as the cut
   * (rows + scrollback lines), and after a search that found nothing the next waits for
   * MIN_SKIP more characters. (Joining the whole backlog before each slice cost ~100 ms of a
   * one-second `seq` flood, up to 10 ms at once with a megabyte queued; now ~55 ms, at most 1-3.)
   */
  private skipOverwritten(): void {
    if (this.backlog < MIN_SKIP || this.received - this.skipTriedAt < MIN_SKIP || !canSkipPlainText(this.term)) return;
    let plain = 0;
    while (plain < this.queue.length && (this.queue[plain]!.plain ??= isPlainText(this.queue[plain]!.text))) plain++;
    const point = overwrittenPoint(
      this.queue.slice(0, plain).map((chunk) => chunk.text),
      this.term.rows,
      this.term.options.scrollback ?? 0,
    );
    if (!point) {
      this.skipTriedAt = this.received;
      return;
    }
    let cut = point.offset;
    for (const chunk of this.queue.splice(0, point.chunk)) cut += chunk.text.length;
    if (point.offset > 0) this.queue[0] = { text: this.queue[0]!.text.slice(point.offset), plain: true };
    this.backlog -= cut;
    this.skipped += cut;
  }

  /**
   * The next change answers a key typed since the last one (its echo, or the first output of a
   * command just entered). Read before the change is reported: lastChangeAt is still the one before.
   */
  get answersKey(): boolean {
    return this.lastInputAt > this.lastChangeAt;
  }

  /** Output keeps coming: the screen last changed under STREAMING_MS ago. */
  get streaming(): boolean {
    return performance.now() - this.lastChangeAt < STREAMING_MS;
  }

  private checkQuiet(): void {
    const idle = Date.now() - this.lastOutputAt;
    if (idle >= QUIET_MS && this.backlog === 0) {
      this.quietTimer = null;
      for (const listener of this.quietListeners) listener();
    } else {
      this.quietTimer = setTimeout(() => this.checkQuiet(), Math.max(10, QUIET_MS - idle));
    }
  }

  private emitChange(): void {
    if (this.damageAll) this.damage({ from: 0, to: this.term.rows - 1 });
    for (const listener of this.changeListeners) listener();
    this.lastChangeAt = performance.now();
  }

  /** The screen changed (called often; coalesce before drawing). Returns an unsubscribe. */
  onChange(listener: () => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      this.changeListeners = this.changeListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Rows that changed, reported as the emulator parses (before the onChange that follows).
   * Returns an unsubscribe.
   */
  onDamage(listener: (damage: Damage) => void): () => void {
    this.damageListeners.push(listener);
    return () => {
      this.damageListeners = this.damageListeners.filter((l) => l !== listener);
    };
  }

  /** The pane went quiet after output. */
  onQuiet(listener: () => void): void {
    this.quietListeners.push(listener);
  }

  /**
   * Resolves once the pane has produced output after this call and then gone quiet (or has
   * exited), or after `timeoutMs` at the latest: "the command has answered".
   */
  settled(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.quietListeners = this.quietListeners.filter((l) => l !== done);
        this.exitListeners = this.exitListeners.filter((l) => l !== done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.quietListeners.push(done);
      this.exitListeners.push(done);
    });
  }

  onExit(listener: (exit: PaneExit) => void): void {
    this.exitListeners.push(listener);
  }

  /** The PTY master (node-pty keeps it in a private field). */
  private get masterFd(): number {
    return (this.pty as unknown as { _fd: number })._fd;
  }

  /** Real pid of the process node-pty started (the session leader of this terminal). */
  get pid(): number {
    return this.pty.pid;
  }

  get applicationCursorKeys(): boolean {
    return this.term.modes.applicationCursorKeysMode;
  }

  /**
   * Keys typed by the user, passed through byte for byte (writePty). The echo they cause is
   * parsed as soon as it arrives, like all output (parseNext); the emulator's input() is not
   * used for keys: it would only add a second route to the PTY.
   */
  write(data: string): void {
    this.lastInputAt = performance.now();
    if (!this.exit) this.writePty(data);
  }

  resize(cols: number, rows: number): void {
    if (cols === this.term.cols && rows === this.term.rows) return;
    this.term.resize(cols, rows);
    if (!this.exit) this.pty.resize(cols, rows);
    this.damage({ from: 0, to: rows - 1 });
    this.emitChange();
  }

  /**
   * The process group in the foreground of this terminal (what the user runs right now), as
   * a real pid, or null once the pane has exited or when that pid is not, right now, a process
   * of the lab in this terminal's session. tcgetpgrp(3) answers the group a program last made
   * the foreground even after every member has exited (a program `tcsetpgrp`s to its own group
   * and exits); that number may since name any process of the machine.
   */
  foregroundPid(): number | null {
    if (this.exit) return null;
    let pgrp: number;
    try {
      pgrp = tcgetpgrp(this.masterFd);
    } catch {
      return null;
    }
    // 0: the terminal has no foreground process group (yet, or any more). node-pty's child
    // called setsid(2), so this terminal's session id is that child's pid.
    return pgrp > 0 && this.owns(pgrp, this.pid) ? pgrp : null;
  }

  dispose(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.changeListeners = [];
    this.damageListeners = [];
    this.quietListeners = [];
    if (!this.exit) this.pty.kill('SIGKILL');
    this.term.dispose();
  }
}
