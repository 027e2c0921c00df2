/**
 * The prose half of a lab.md (docs/lab-format.md): after the front matter, an optional
 * introduction, then one `## <step-id>` section per step holding the goal and, under
 * `### Hints`, a numbered list of hints.
 *
 * Hand-written rather than a Markdown library: the grammar is two heading levels and one list,
 * and what an author needs from it is the line of a mistake, which the Markdown lexers at hand
 * (marked, micromark) do not give for their tokens without a second pass. Fenced code blocks are
 * honoured, so a `## ` or `1. ` inside an example is text, not structure.
 */

export interface ProseSection {
  /** The text after `## `: the step id it belongs to. */
  readonly id: string;
  /** 1-based line of the `## ` heading in the file. */
  readonly line: number;
  readonly goal: string;
  readonly hints: readonly string[];
}

export interface ProseProblem {
  readonly line: number;
  readonly step?: string;
  readonly message: string;
}

export interface Prose {
  readonly intro: string;
  readonly sections: readonly ProseSection[];
  readonly problems: readonly ProseProblem[];
}

const FENCE = /^\s{0,3}(```|~~~)/;
const STEP_HEADING = /^##\s+(.*?)\s*#*\s*$/;
const HINTS_HEADING = /^###\s+hints\s*#*\s*$/i;
const HINT_ITEM = /^\s{0,3}\d{1,3}[.)]\s+(.*)$/;

/**
 * Parses the body of a lab.md. `firstLine` is the file line of `body`'s first line, so every
 * problem names a line of the file the author has open.
 */
export function parseProse(body: string, firstLine: number): Prose {
  const lines = body.split('\n');
  const problems: ProseProblem[] = [];
  const sections: ProseSection[] = [];
  const intro: string[] = [];
  let current: { id: string; line: number; goal: string[]; hints: string[][] | null; afterBlank: boolean } | null = null;
  let fenced = false;

  const close = () => {
    if (!current) return;
    const goal = prose(current.goal);
    const hints = (current.hints ?? []).map((h) => h.join(' ').trim());
    if (!goal) problems.push({ line: current.line, step: current.id, message: 'the goal is empty: write what the step wants before `### Hints`' });
    if (current.hints === null) problems.push({ line: current.line, step: current.id, message: 'has no `### Hints` section' });
    else if (hints.length === 0) problems.push({ line: current.line, step: current.id, message: '`### Hints` needs a numbered list (`1. ...`) with at least one hint' });
    sections.push({ id: current.id, line: current.line, goal, hints });
  };

  for (const [index, text] of lines.entries()) {
    const line = firstLine + index;
    const fence = FENCE.test(text);
    const structural = !fenced && !fence;
    const heading = structural ? STEP_HEADING.exec(text) : null;
    if (heading) {
      close();
      current = { id: heading[1]!, line, goal: [], hints: null, afterBlank: false };
    } else if (!current) {
      intro.push(text);
    } else if (structural && HINTS_HEADING.test(text)) {
      if (current.hints !== null) problems.push({ line, step: current.id, message: 'has a second `### Hints` heading' });
      current.hints = [];
    } else if (current.hints === null) {
      current.goal.push(text);
    } else {
      const item = structural ? HINT_ITEM.exec(text) : null;
      const continues = current.hints.length > 0 && (!current.afterBlank || /^\s/.test(text));
      if (item) current.hints.push([item[1]!]);
      else if (text.trim() === '') current.afterBlank = true;
      else if (continues) current.hints.at(-1)!.push(text.trim());
      else problems.push({ line, step: current.id, message: 'text under `### Hints` that is not a numbered hint (`1. ...`); indent it to continue the hint above' });
      if (text.trim() !== '') current.afterBlank = false;
    }
    if (fence) fenced = !fenced;
  }
  close();
  return { intro: prose(intro), sections, problems };
}

/**
 * Prose as the panel shows it: the lines of a paragraph joined into one (the panel wraps to its
 * width), paragraphs separated by a blank line, fenced code kept line for line.
 */
function prose(lines: readonly string[]): string {
  const paragraphs: string[] = [];
  let paragraph: string[] = [];
  let fence: string[] | null = null;
  const flush = () => {
    if (paragraph.length) paragraphs.push(paragraph.join(' '));
    paragraph = [];
  };
  for (const text of lines) {
    if (fence) {
      fence.push(text);
      if (FENCE.test(text)) {
        paragraphs.push(fence.join('\n'));
        fence = null;
      }
    } else if (FENCE.test(text)) {
      flush();
      fence = [text];
    } else if (text.trim() === '') flush();
    else paragraph.push(text.trim());
  }
  flush();
  if (fence) paragraphs.push(fence.join('\n'));
  return paragraphs.join('\n\n');
}
