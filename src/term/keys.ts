// Keyboard input for the panes (DESIGN.md section 3): nslab owns stdin in raw mode, so every
// byte the user types reaches us. A tmux-style prefix key (Ctrl-g) followed by one key is a
// command for nslab; everything else is passed to the focused pane byte for byte.

import { BINDINGS, PREFIX, type KeyCommand } from '../keymap.ts';

export { PREFIX, type KeyCommand };
export type KeyAction = { kind: 'pane'; data: string } | { kind: 'command'; command: KeyCommand; key: string };

const ESC = '\x1b';
const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** readKey's answer when the data ends in the middle of an escape sequence. */
const INCOMPLETE = -1;

/**
 * A key longer than this is garbage, not a key still arriving; it is then taken as it is
 * rather than buffered forever.
 */
const MAX_KEY_LENGTH = 32;

/**
 * A bracketed paste arrives as one burst: the terminal writes its start marker, the text and
 * its end marker back to back. An open paste with no input for this long is over, end marker
 * or not, so a start marker without an end (typed by hand, in a clipboard, or from a terminal
 * that cut the paste short) cannot leave the prefix key, quit included, disabled for good.
 */
export const PASTE_IDLE_MS = 300;

export interface PrefixKeyOptions {
  /** The clock (ms), for tests; Date.now by default. */
  readonly now?: () => number;
}

/**
 * Splits raw stdin into pane data and prefix commands.
 *
 * States: passing through (the usual), armed (prefix seen, the next key is the command),
 * and inside a bracketed paste (nothing is interpreted until the paste ends).
 */
export class PrefixKeyMachine {
  #armed = false;
  #inPaste = false;
  /** Start of a key after the prefix that was cut off at the end of the last chunk. */
  #partialKey = '';
  /**
   * The end of the last chunk's pass-through data when it is the beginning of the paste
   * marker we are looking for: a marker split across two chunks is still recognised. That
   * data has already been passed through; this copy is only for matching.
   */
  #markerTail = '';
  /** When the last chunk arrived (see PASTE_IDLE_MS). */
  #lastInputAt = -Infinity;
  readonly #now: () => number;

  constructor(options: PrefixKeyOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Inside a bracketed paste (prefix keys are text until it ends or lapses). */
  get inPaste(): boolean {
    return this.#inPaste;
  }

  /** Prefix seen, waiting for the command key (the UI shows it). */
  get armed(): boolean {
    return this.#armed;
  }

  /** Feed raw stdin data (already decoded as a 'utf8'/'binary' string); returns what to do, in order. */
  feed(chunk: string): KeyAction[] {
    const actions: KeyAction[] = [];
    const now = this.#now();
    if (this.#inPaste && now - this.#lastInputAt > PASTE_IDLE_MS) {
      this.#inPaste = false;
      this.#markerTail = '';
    }
    this.#lastInputAt = now;
    let data = chunk;
    if (this.#partialKey !== '') {
      data = this.#partialKey + data;
      this.#partialKey = '';
    }
    let i = 0;
    while (i < data.length) {
      if (this.#armed) i = this.#readCommandKey(data, i, actions);
      else if (this.#inPaste) i = this.#passPaste(data, i, actions);
      else i = this.#passUntilPrefix(data, i, actions);
    }
    return actions;
  }

  /** Passes data through up to the next prefix (arming) or paste start (entering the paste). */
  #passUntilPrefix(data: string, from: number, actions: KeyAction[]): number {
    const pasteEnd = findMarker(data, from, PASTE_START, this.#markerTail);
    const prefixAt = data.indexOf(PREFIX, from);
    if (pasteEnd !== -1 && (prefixAt === -1 || pasteEnd - PASTE_START.length < prefixAt)) {
      // The marker itself goes to the pane: the program asked for bracketed paste.
      pushPane(actions, data.slice(from, pasteEnd));
      this.#inPaste = true;
      this.#markerTail = '';
      return pasteEnd;
    }
    if (prefixAt !== -1) {
      pushPane(actions, data.slice(from, prefixAt));
      this.#armed = true;
      this.#markerTail = '';
      return prefixAt + 1;
    }
    pushPane(actions, data.slice(from));
    this.#markerTail = markerPrefixAtEnd(data, from, PASTE_START, this.#markerTail);
    return data.length;
  }

  /** Passes paste content through, uninterpreted, up to and including the paste end. */
  #passPaste(data: string, from: number, actions: KeyAction[]): number {
    const end = findMarker(data, from, PASTE_END, this.#markerTail);
    if (end === -1) {
      pushPane(actions, data.slice(from));
      this.#markerTail = markerPrefixAtEnd(data, from, PASTE_END, this.#markerTail);
      return data.length;
    }
    pushPane(actions, data.slice(from, end));
    this.#inPaste = false;
    this.#markerTail = '';
    return end;
  }

  /** Reads the key after the prefix and turns it into a command (or a literal Ctrl-g). */
  #readCommandKey(data: string, from: number, actions: KeyAction[]): number {
    const end = readKey(data, from);
    if (end === INCOMPLETE) {
      // Keep the start of the key and wait for the rest in the next chunk.
      this.#partialKey = data.slice(from);
      return data.length;
    }
    const key = data.slice(from, end);
    this.#armed = false;
    if (key === PREFIX) {
      pushPane(actions, PREFIX); // Ctrl-g Ctrl-g types one Ctrl-g
    } else if (key === PASTE_START) {
      // Pasting right after the prefix: the paste is text for the pane, not a command
      // key, so it cancels the prefix and goes through like any other paste.
      pushPane(actions, PASTE_START);
      this.#inPaste = true;
    } else {
      actions.push({ kind: 'command', command: BINDINGS.get(key) ?? 'unknown', key });
    }
    return end;
  }
}

/** Appends pane data, merging with the previous action so one chunk gives few actions. */
function pushPane(actions: KeyAction[], data: string): void {
  if (data === '') return;
  const last = actions[actions.length - 1];
  if (last?.kind === 'pane') last.data += data;
  else actions.push({ kind: 'pane', data });
}

/**
 * Index just past the first `marker` in data[from..], also matching a marker that began in
 * the previous chunk (`tail` = that chunk's end); -1 if none.
 */
function findMarker(data: string, from: number, marker: string, tail: string): number {
  if (tail !== '' && from === 0 && data.startsWith(marker.slice(tail.length))) {
    return marker.length - tail.length;
  }
  const at = data.indexOf(marker, from);
  return at === -1 ? -1 : at + marker.length;
}

/**
 * The longest end of the pass-through stream (previous `tail` + data[from..]) that is a
 * proper beginning of `marker`, so findMarker can complete it in the next chunk.
 */
function markerPrefixAtEnd(data: string, from: number, marker: string, tail: string): string {
  const seen = from === 0 ? tail + data : data.slice(from);
  for (let n = Math.min(marker.length - 1, seen.length); n > 0; n--) {
    if (seen.endsWith(marker.slice(0, n))) return marker.slice(0, n);
  }
  return '';
}

const isCsiParam = (c: number): boolean => c >= 0x30 && c <= 0x3f;
const isCsiIntermediate = (c: number): boolean => c >= 0x20 && c <= 0x2f;
const isCsiFinal = (c: number): boolean => c >= 0x40 && c <= 0x7e;

/**
 * Index just past the one key that starts at data[from], or INCOMPLETE when the data ends
 * inside an escape sequence. A key is: a CSI sequence (arrows, F-keys, "\x1b[200~"), an SS3
 * sequence ("\x1bOA"), Alt + key (ESC + key), or one character.
 *
 * A lone ESC at the end of the data is the Esc key, not an incomplete sequence: terminals
 * send a whole sequence in one write, and waiting would leave Ctrl-g Esc armed. "\x1b[" or
 * "\x1bO" at the end is taken as the start of a sequence split across reads and completed
 * by the next chunk (so Alt-[ / Alt-O right after the prefix swallow the following key).
 */
function readKey(data: string, from: number): number {
  if (data[from] !== ESC) return from + characterLength(data, from);
  const next = from + 1;
  if (next >= data.length) return next;
  switch (data[next]) {
    case '[':
      return readCsi(data, from);
    case 'O':
      return next + 1 < data.length ? next + 2 : incompleteOrGarbage(data, from);
    case ESC:
      return readKey(data, next); // Alt + an escape sequence, e.g. "\x1b\x1b[A"
    default:
      return next + characterLength(data, next);
  }
}

function readCsi(data: string, from: number): number {
  let i = from + 2;
  while (i < data.length && isCsiParam(data.charCodeAt(i))) i++;
  while (i < data.length && isCsiIntermediate(data.charCodeAt(i))) i++;
  if (i >= data.length) return incompleteOrGarbage(data, from);
  // A malformed sequence ends where it stops looking like CSI.
  return isCsiFinal(data.charCodeAt(i)) ? i + 1 : i;
}

function incompleteOrGarbage(data: string, from: number): number {
  return data.length - from > MAX_KEY_LENGTH ? data.length : INCOMPLETE;
}

/**
 * Length of the character at data[at]: a surrogate pair counts as one character, and so
 * does a UTF-8 byte sequence when stdin was decoded as 'binary' (each byte one char).
 */
function characterLength(data: string, at: number): number {
  const c = data.charCodeAt(at);
  if (c >= 0xd800 && c <= 0xdbff && at + 1 < data.length) {
    const low = data.charCodeAt(at + 1);
    if (low >= 0xdc00 && low <= 0xdfff) return 2;
  }
  const expected = utf8ContinuationCount(c);
  for (let k = 1; k <= expected; k++) {
    const b = data.charCodeAt(at + k);
    // Not (or not all there as) a UTF-8 sequence: then it was a Latin-1 char of its own.
    if (!(b >= 0x80 && b <= 0xbf)) return 1;
  }
  return 1 + expected;
}

/** How many continuation bytes follow a UTF-8 lead byte (0 for anything else). */
function utf8ContinuationCount(byte: number): number {
  if (byte >= 0xc2 && byte <= 0xdf) return 1;
  if (byte >= 0xe0 && byte <= 0xef) return 2;
  if (byte >= 0xf0 && byte <= 0xf4) return 3;
  return 0;
}

// Cursor keys and Home/End: the final byte of "\x1b[A" (normal mode) / "\x1bOA" (application).
const CSI_CURSOR_KEY = /\x1b\[([ABCDHF])/g;
const SS3_CURSOR_KEY = /\x1bO([ABCDHF])/g;

/**
 * Re-encodes unmodified arrows, Home and End for the pane's DECCKM mode: the outer terminal
 * encodes them by *its* mode (set for nslab's UI), while the program in the pane expects the
 * form its own mode asks for (e.g. vim and less switch to application mode).
 * Modified keys ("\x1b[1;5A") have the same form in both modes and are left alone.
 */
export function encodeForPane(data: string, applicationCursorKeys: boolean): string {
  if (!data.includes(ESC)) return data; // fast path: typing and most pastes
  return applicationCursorKeys ? data.replace(CSI_CURSOR_KEY, '\x1bO$1') : data.replace(SS3_CURSOR_KEY, '\x1b[$1');
}
