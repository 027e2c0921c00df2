/**
 * The one writer of the outer terminal while a full-screen view is up. Ink lays out and draws
 * everything but the panes (the lab panel, the footer, the inspector); each pane's rows come
 * straight from its emulator, and its title lines and border (pane-chrome.ts) are drawn here
 * too, so that moving the focus redraws two borders and a cursor, not the whole screen. Each frame writes only what changed since the last
 * one, the way tmux does (tty.c: only damaged lines, wrapped in synchronized-update mode 2026):
 *
 * - an Ink line is rewritten when Ink's text for that row changed (it rarely does);
 * - a pane row is rendered only when the emulator reports it damaged (Pane.onDamage), or it
 *   holds or held the cursor, or what the outer screen shows there is unknown; it is rewritten
 *   when its rendered text changed, positioned absolutely, so a width disagreement between the
 *   outer terminal and string-width cannot shift anything after it;
 * - every pane row and every chrome cell on an Ink line that was rewritten is rewritten too;
 * - the chrome is drawn whole when it changed (focus, titles, size).
 *
 * What is on the outer screen is therefore a pure function of the latest Ink frame and the
 * panes' latest state; nothing stale survives a frame (test/e2e-screen.test.ts compares the
 * two cell by cell). Output is bounded: a frame is at most every cell once (render.ts caps a
 * cell's text), and frames are spaced while a pane floods.
 */
import type { Pane } from './pane.ts';
import { CHROME_ABOVE, chromeRows, type ChromeSegment, type PaneTitles } from './pane-chrome.ts';
import { isCursorHidden, renderRow } from './render.ts';

const SYNC_BEGIN = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';
const HIDE_CURSOR = '\x1b[?25l';
const RESET = '\x1b[0m';
/**
 * The whole line is erased before Ink's text is written, not after it: with autowrap off (as
 * nslab draws), a character written in the last column leaves the cursor on it, and an erase to
 * the end of the line would take that character with it (xterm's and tmux's behaviour; a full
 * width panel lost its right border).
 */
const ERASE_LINE = '\x1b[2K';
const CLEAR = '\x1b[H\x1b[2J';

/**
 * While a pane keeps producing output, at most one frame per this many ms (60 fps): people
 * cannot read faster, and every frame is work for the outer terminal. A change after a quiet
 * moment is drawn at once; the first one after a key, in the same turn.
 */
export const BUSY_FRAME_MS = 16;

/** Where one pane's rows go on the outer screen (0-based cell of its top-left corner). */
export interface PaneSurface {
  readonly pane: Pane;
  readonly x: number;
  readonly y: number;
  /** Its program has exited: no cursor, even when focused. */
  readonly exited: boolean;
  /** Its title lines; the writer draws them and the border around the pane (pane-chrome.ts). */
  readonly titles: PaneTitles;
}

/** A pane on the screen now, as tests compare it with the outer screen. */
export interface Placement {
  readonly pane: Pane;
  readonly x: number;
  readonly y: number;
  /** The pane's cursor is drawn (the focused pane, still running). */
  readonly cursor: boolean;
  /** The chrome around it, by screen row. */
  readonly chrome: ReadonlyMap<number, readonly ChromeSegment[]>;
}

interface Placed extends PaneSurface {
  readonly name: string;
  exited: boolean;
  titles: PaneTitles;
  /** What each of its rows shows on the outer screen now; undefined = unknown, draw it. */
  shown: (string | undefined)[];
  /** The chrome as last drawn (null: not yet), and its screen rows Ink has drawn over since. */
  chrome: Map<number, ChromeSegment[]> | null;
  /** What the drawn chrome was drawn for: the focus and the pane's size. */
  chromeFocused: boolean;
  chromeCols: number;
  chromeRows: number;
  chromeStale: Set<number>;
  /** Rows the emulator changed since the last frame (from > to: none). */
  damageFrom: number;
  damageTo: number;
  /** The row the cursor was last drawn on (-1: none). */
  cursorRow: number;
  unsubscribe: () => void;
}

export class ScreenWriter {
  private inkLines: string[] = [];
  private shownInk: (string | undefined)[] = [];
  private readonly surfaces = new Map<string, Placed>();
  private readonly dirty = new Set<Pane>();
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private lastFrameAt = 0;
  private closed = false;
  /** The terminal has not taken the last write yet (out() said false): no frame until drained(). */
  private behind = false;
  private deferred = false;
  /** The pane with the focus: its border is bold, its cursor drawn. */
  private focusedName: string | null = null;
  /** Bytes written so far (tests, bench). */
  bytes = 0;
  frames = 0;

  constructor(
    /** To the terminal; false when it could not take it all at once (terminal-output.ts). */
    private readonly out: (data: string) => boolean | void,
    private rows: number,
    /** SGR in the chrome (false under NO_COLOR). */
    private readonly styled = true,
  ) {
    this.write(HIDE_CURSOR + CLEAR);
  }

  /** Ink's latest frame: its rows joined by newlines. */
  setInkFrame(frame: string): void {
    this.inkLines = frame.split('\n');
    this.request(true);
  }

  /** Shows (or moves) a pane at a place on the screen, under a name; null removes it. */
  place(name: string, surface: PaneSurface | null): void {
    const old = this.surfaces.get(name);
    if (old && surface && old.pane === surface.pane && old.x === surface.x && old.y === surface.y) {
      // The same place: a new title or an exit redraws the chrome (and the cursor's row).
      if (old.exited === surface.exited && sameTitles(old.titles, surface.titles)) return;
      old.titles = surface.titles;
      old.exited = surface.exited;
      old.chrome = null;
      this.dirty.add(old.pane);
      this.request(true);
      return;
    }
    if (old) {
      old.unsubscribe();
      this.surfaces.delete(name);
    }
    if (surface) {
      const offChange = surface.pane.onChange(() => this.paneChanged(surface.pane));
      const offDamage = surface.pane.onDamage(({ from, to }) => {
        placed.damageFrom = Math.min(placed.damageFrom, from);
        placed.damageTo = Math.max(placed.damageTo, to);
      });
      const placed: Placed = {
        ...surface,
        name,
        shown: [],
        chrome: null,
        chromeFocused: false,
        chromeCols: 0,
        chromeRows: 0,
        chromeStale: new Set(),
        damageFrom: Infinity,
        damageTo: -1,
        cursorRow: -1,
        unsubscribe: () => {
          offChange();
          offDamage();
        },
      };
      this.surfaces.set(name, placed);
      this.dirty.add(surface.pane);
    }
    // The rows it and its chrome covered show Ink's text underneath until redrawn.
    if (old) this.invalidateRows(old.y - CHROME_ABOVE, old.pane.term.rows + CHROME_ABOVE + 1);
    this.request(true);
  }

  /**
   * Moves the focus to the pane placed under `name`: its chrome and cursor are redrawn, nothing
   * else (Session.focus calls this without a re-render of Ink's tree).
   */
  focus(name: string): void {
    if (name === this.focusedName) return;
    this.focusedName = name;
    // The cursor leaves one pane and appears in the other.
    for (const s of this.surfaces.values()) this.dirty.add(s.pane);
    this.request(true);
  }

  /** The panes on screen now, and where (tests compare them with the outer screen). */
  placements(): Placement[] {
    return [...this.surfaces.values()].map((s) => ({ pane: s.pane, x: s.x, y: s.y, cursor: this.hasCursor(s), chrome: this.chromeOf(s) }));
  }

  private hasCursor(s: Placed): boolean {
    return s.name === this.focusedName && !s.exited;
  }

  private chromeOf(s: Placed): Map<number, ChromeSegment[]> {
    return chromeRows(s.x, s.y, s.pane.term.cols, s.pane.term.rows, s.titles, s.name === this.focusedName, this.styled);
  }

  /** Ink's latest frame, one string per row (with its escapes). */
  get inkFrame(): readonly string[] {
    return this.inkLines;
  }

  /** Whether a frame is due (scheduled, not yet drawn). */
  get pending(): boolean {
    return this.timer !== null || this.immediate !== null;
  }

  /** The outer terminal changed size: everything is drawn again from a clear screen. */
  resize(rows: number): void {
    this.rows = rows;
    this.shownInk = [];
    for (const s of this.surfaces.values()) s.shown = [];
    this.write(CLEAR);
    this.request(true);
  }

  private paneChanged(pane: Pane): void {
    this.dirty.add(pane);
    // The answer to a key (Pane.answersKey) is drawn in this very turn rather than the next:
    // nothing of Ink's is involved in a pane's own rows, and a frame Ink has due is still drawn
    // after it, where the new layout puts the panes. Output that keeps coming without keys (a
    // command flooding) is spaced: not a frame per parsed slice, which crowded out the other
    // pane's echo.
    if (pane.answersKey) {
      this.frame();
      return;
    }
    this.request(!pane.streaming);
  }

  private invalidateRows(from: number, count: number): void {
    for (let y = from; y < from + count; y++) this.shownInk[y] = undefined;
  }

  /** Asks for a frame: at once (next turn of the event loop), or spaced after the last one. */
  private request(urgent: boolean): void {
    if (this.closed || this.immediate) return;
    const wait = urgent ? 0 : this.lastFrameAt + BUSY_FRAME_MS - performance.now();
    if (wait <= 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      // setImmediate, not a microtask: Ink and the layout effects that place the panes run
      // in the same turn, and a frame must see all of them.
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.frame();
      });
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = null;
        this.frame();
      }, wait);
    }
  }

  /**
   * The terminal has taken everything it was behind on: the frame that waited is drawn now,
   * with all that changed meanwhile (the damage was kept).
   */
  drained(): void {
    this.behind = false;
    if (!this.deferred) return;
    this.deferred = false;
    this.frame();
  }

  /** Draws now whatever changed (once the terminal has caught up, when it is behind). */
  frame(): void {
    if (this.closed) return;
    if (this.behind) {
      this.deferred = true;
      return;
    }
    this.lastFrameAt = performance.now();
    let out = '';
    for (let y = 0; y < this.rows; y++) {
      const line = this.inkLines[y] ?? '';
      if (line === this.shownInk[y]) continue;
      out += `\x1b[${y + 1}H${RESET}${ERASE_LINE}${line}${RESET}`;
      this.shownInk[y] = line;
      // Ink's line covered the pane rows and the chrome on it.
      for (const s of this.surfaces.values()) {
        if (y >= s.y && y < s.y + s.pane.term.rows) s.shown[y - s.y] = undefined;
        if (y >= s.y - CHROME_ABOVE && y <= s.y + s.pane.term.rows) s.chromeStale.add(y);
      }
    }
    for (const s of this.surfaces.values()) {
      const term = s.pane.term;
      // The chrome: all of it when it changed (focus, titles, size), else the rows Ink drew over.
      const focused = s.name === this.focusedName;
      // Compared field by field: this runs on every frame, the echo of every key among them.
      if (s.chrome === null || focused !== s.chromeFocused || term.cols !== s.chromeCols || term.rows !== s.chromeRows) {
        s.chrome = this.chromeOf(s);
        s.chromeFocused = focused;
        s.chromeCols = term.cols;
        s.chromeRows = term.rows;
        s.chromeStale = new Set(s.chrome.keys());
      }
      for (const y of s.chromeStale) {
        if (y < 0 || y >= this.rows) continue;
        for (const segment of s.chrome.get(y) ?? []) out += `\x1b[${y + 1};${segment.x + 1}H${segment.text}`;
      }
      s.chromeStale.clear();
      if (!this.dirty.has(s.pane) && s.shown.length === term.rows && !s.shown.includes(undefined)) continue;
      if (s.shown.length !== term.rows) s.shown = new Array<string | undefined>(term.rows).fill(undefined);
      const buffer = term.buffer.active;
      const cursorRow = this.hasCursor(s) && !isCursorHidden(term) ? buffer.baseY + buffer.cursorY - buffer.viewportY : -1;
      for (let r = 0; r < term.rows && s.y + r < this.rows; r++) {
        const damaged = (r >= s.damageFrom && r <= s.damageTo) || r === cursorRow || r === s.cursorRow || s.shown[r] === undefined;
        if (!damaged) continue;
        const text = r === cursorRow ? renderRow(term, r, buffer.cursorX) : renderRow(term, r);
        if (text === s.shown[r]) continue;
        out += `\x1b[${s.y + r + 1};${s.x + 1}H${text}`;
        s.shown[r] = text;
      }
      s.damageFrom = Infinity;
      s.damageTo = -1;
      s.cursorRow = cursorRow;
    }
    this.dirty.clear();
    if (out !== '') {
      this.frames++;
      this.write(SYNC_BEGIN + out + SYNC_END);
    }
  }

  private write(data: string): void {
    this.bytes += data.length;
    if (this.out(data) === false) this.behind = true;
  }

  dispose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    for (const s of this.surfaces.values()) s.unsubscribe();
    this.surfaces.clear();
  }
}

function sameTitles(a: PaneTitles, b: PaneTitles): boolean {
  return a.focused[0] === b.focused[0] && a.focused[1] === b.focused[1] && a.unfocused[0] === b.unfocused[0] && a.unfocused[1] === b.unfocused[1];
}
