/**
 * Text that comes out of a lab — process names, mount points, file contents quoted by a check,
 * a tool's error output — made safe to draw. Control characters would reach the user's real
 * terminal as escape sequences: a process named "\e]52;c;…\a" could set the clipboard (OSC 52)
 * or the window title. C0 controls and DEL are shown in caret notation (^[), C1 as U+FFFD;
 * tabs and newlines become spaces, since this text is drawn on one line.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => {
    if (c === '\n' || c === '\t' || c === '\r') return ' ';
    const code = c.charCodeAt(0);
    if (code === 0x7f) return '^?';
    if (code < 0x20) return `^${String.fromCharCode(code + 0x40)}`;
    return '\uFFFD';
  });
}
