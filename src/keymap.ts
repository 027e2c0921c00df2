/**
 * The one keymap (STYLE.md: "one keymap from which help, footer and README tables are drawn").
 * Each row binds the key(s) typed after the Ctrl-g prefix to a command; the key machine
 * (src/term/keys.ts), the help screen, the footer and the README's key table are all drawn
 * from this table, and a test holds the README to it. To add a key, add a row.
 */

/** The prefix key, as the terminal sends it: Ctrl+G is BEL, 0x07 (ASCII control = letter & 0x1f). */
export const PREFIX = '\x07';
export const PREFIX_LABEL = 'Ctrl-g';

export interface KeyBinding {
  /** The command, as the session and the lab controller dispatch it. */
  readonly command: string;
  /** What the terminal sends for this key after the prefix (several: arrows in both cursor modes). */
  readonly keys: readonly string[];
  /** How the key is written for people: in the help screen, the footer and the README. */
  readonly label: string;
  /** What it does, one sentence for the help screen and the README. */
  readonly does: string;
  /** The footer's word for it; a row without one is in the help only. */
  readonly footer?: string;
  /** The footer's way of writing the key when it differs from the label (one mark for a pair). */
  readonly footerLabel?: string;
  /** The footer's word in presenter mode (`nslab present`); a row without one is not shown there. */
  readonly presenterFooter?: string;
  /** 'lab': only inside a lab (the playground says so). */
  readonly where: 'all' | 'lab';
}

export const KEYMAP = [
  { command: 'switch-focus', keys: ['\t'], label: 'Tab', does: 'move the focus to the other pane', footer: 'pane', presenterFooter: 'pane', where: 'all' },
  { command: 'hint', keys: ['h'], label: 'h', does: 'the next hint for this step', footer: 'hint', where: 'lab' },
  { command: 'solution', keys: ['s'], label: 's', does: 'the reference solution (press twice: it asks first)', footer: 'solution', where: 'lab' },
  { command: 'panel-full', keys: ['f'], label: 'f', does: 'the lab panel over the whole screen (↑ ↓ PgUp PgDn scroll it; Esc or Ctrl-g f closes)', footer: 'panel', where: 'lab' },
  { command: 'panel-down', keys: ['\x1b[B', '\x1bOB', '\x1b[6~'], label: '↓', does: 'scroll the lab panel down a page', footer: 'scroll', footerLabel: '↑↓', where: 'lab' },
  { command: 'panel-up', keys: ['\x1b[A', '\x1bOA', '\x1b[5~'], label: '↑', does: 'scroll the lab panel up a page', where: 'lab' },
  { command: 'inspect', keys: ['i'], label: 'i', does: 'the live inspector over the other pane: namespaces, mounts, links (again: the next view, then closed)', footer: 'inspect', presenterFooter: 'inspect', where: 'all' },
  { command: 'present-next', keys: ['n'], label: 'n', does: 'presenter mode: type the next line of the reference solution', presenterFooter: 'next line', where: 'lab' },
  { command: 'present-step', keys: [...'123456789'], label: '1…9', does: 'presenter mode: a fresh world at that step', presenterFooter: 'step', where: 'lab' },
  { command: 'reset', keys: ['r'], label: 'r', does: "reset: a fresh lab world in the lab's starting state", footer: 'reset', presenterFooter: 'reset', where: 'all' },
  { command: 'list', keys: ['l'], label: 'l', does: 'back to the lab list', footer: 'labs', where: 'all' },
  { command: 'help', keys: ['?'], label: '?', does: 'this help (again to close)', footer: 'help', where: 'all' },
  { command: 'quit', keys: ['q'], label: 'q', does: 'quit; the kernel removes everything the lab made', footer: 'quit', presenterFooter: 'quit', where: 'all' },
  { command: 'literal-prefix', keys: [PREFIX], label: 'Ctrl-g', does: 'a literal Ctrl-g for the pane', where: 'all' },
] as const satisfies readonly KeyBinding[];

/** Every command a key can give, plus 'unknown' for a key no row binds. */
export type KeyCommand = (typeof KEYMAP)[number]['command'] | 'unknown';

/** Key (bytes after the prefix) → command; matching is exact: 'Q' is not 'q'. */
export const BINDINGS: ReadonlyMap<string, KeyCommand> = new Map(KEYMAP.flatMap((b) => b.keys.map((k) => [k, b.command] as const)));

/** The lab list's own keys (no prefix there). */
export const LIST_KEYS: readonly { readonly label: string; readonly does: string }[] = [
  { label: '↑/↓', does: 'choose' },
  { label: 'Enter', does: 'open' },
  { label: 'p', does: 'playground' },
  { label: 'q', does: 'quit' },
];

/** One footer item per row that has a footer word: "h hint". Lab-only rows only in a lab; presenter mode its own. */
export function footerItems(inLab: boolean, presenter = false): string[] {
  const rows = KEYMAP as readonly KeyBinding[];
  if (presenter) return rows.filter((b) => b.presenterFooter !== undefined).map((b) => `${b.label} ${b.presenterFooter}`);
  return rows.filter((b) => b.footer !== undefined && (inLab || b.where === 'all')).map((b) => `${b.footerLabel ?? b.label} ${b.footer}`);
}

/** The README's key table, in Markdown, drawn from KEYMAP. */
export function keyTableMarkdown(): string {
  const rows = (KEYMAP as readonly KeyBinding[]).map((b) => `| \`${PREFIX_LABEL} ${b.label}\` | ${b.does} | ${b.where === 'lab' ? 'labs' : 'everywhere'} |`);
  return ['| keys | does | where |', '|---|---|---|', ...rows].join('\n');
}
