/**
 * How many columns plain text takes on a terminal, as Ink lays it out and the panes' emulators
 * (Unicode 11 widths) draw it: string-width, with wide characters two columns and combining
 * marks none. Text from a lab (a process name in a pane title) may be any of those.
 */
import stringWidth from 'string-width';

/**
 * Characters that string-width counts as one column each, alone or in any sequence of them:
 * printable ASCII and Latin-1 (not the soft hyphen), Latin Extended, IPA and spacing modifiers,
 * dashes, quotes, bullets, "…", arrows, box drawing, blocks and geometric shapes before the
 * emoji-presentation ones (U+25FD). None of them joins a neighbour into one grapheme cluster
 * (UAX #29: no Extend, SpacingMark, Prepend, ZWJ or Hangul among them), so a run of them is as
 * wide as it is long; test/width.test.ts checks every one against string-width.
 * Why: nslab's own text is made of them (the pane titles' "▶", "·", "…"), and string-width's
 * first measure of anything beyond ASCII compiles its emoji expression, 25-35 ms of the first
 * frame on this machine (measured with --cpu-prof).
 */
export const NARROW_TEXT = /^[\x20-\x7e\u00a0-\u00ac\u00ae-\u02ff\u2010-\u2027\u2030-\u205e\u2190-\u21ff\u2500-\u25fc]*$/;

/** Display width; text of NARROW_TEXT (most of what nslab shows) is one column a character. */
export function displayWidth(text: string): number {
  return NARROW_TEXT.test(text) ? text.length : stringWidth(text);
}

/**
 * `text` cut with "…" to at most `width` columns; with `pad`, spaces added up to exactly
 * `width` (a wide character that would straddle the edge is left out, its column a space).
 */
export function fitWidth(text: string, width: number, pad = false): string {
  let fitted = text;
  if (displayWidth(text) > width) {
    fitted = '';
    let used = 0;
    for (const char of text) {
      const w = displayWidth(char);
      if (used + w > width - 1) break;
      fitted += char;
      used += w;
    }
    fitted += '…';
  }
  return pad ? fitted + ' '.repeat(Math.max(0, width - displayWidth(fitted))) : fitted;
}
