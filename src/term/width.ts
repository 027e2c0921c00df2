/**
 * How many columns plain text takes on a terminal, as Ink lays it out and the panes' emulators
 * (Unicode 11 widths) draw it: string-width, with wide characters two columns and combining
 * marks none. Text from a lab (a process name in a pane title) may be any of those.
 */
import stringWidth from 'string-width';

/** Display width; printable ASCII (most of what nslab shows) is one column a character. */
export function displayWidth(text: string): number {
  return /^[\x20-\x7e]*$/.test(text) ? text.length : stringWidth(text);
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
