/**
 * Loads one lab directory (`NN-<id>/`) of Lab format 1 (docs/lab-format.md): lab.md, its
 * optional checks.ts/checks.js, setup.sh and lab.<lang>.md. Every mistake found is collected,
 * not only the first, and each names the file, the line where known, the step and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { LabDefinitionError } from '../errors.ts';
import type { LabPredicate, Library } from './library.ts';
import { parseProse, type Prose } from './markdown.ts';
import { FORMAT, frontMatter, translationFrontMatter, type FrontMatter } from './schema.ts';
import type { Check, Lab, Step } from './types.ts';

export interface LabProblem {
  /** The file as the author knows it (`labs/03-pivot-root/lab.md`). */
  readonly file: string;
  readonly line?: number;
  readonly step?: string;
  readonly field?: string;
  readonly message: string;
}

export function formatProblem(p: LabProblem): string {
  const where = [p.step !== undefined ? `step "${p.step}"` : '', p.field ? `field ${p.field}` : ''].filter(Boolean).join(', ');
  return `${p.file}${p.line ? `:${p.line}` : ''}: ${where ? `${where}: ` : ''}${p.message}`;
}

/** A lab that cannot be loaded, with every reason found. */
export class LabLoadError extends LabDefinitionError {
  constructor(readonly problems: readonly LabProblem[]) {
    super(problems.map(formatProblem).join('\n'), 'Fix the lines above; `nslab verify --labs DIR <lab-id>` proves a lab end to end.');
  }
}

export interface LoadOptions {
  /** How messages name the directory (`labs/03-pivot-root`). */
  readonly shownDir: string;
  /** Shipped with nslab: its code files are trusted. */
  readonly builtIn: boolean;
  /** `--trust-lab-code`: load the code files of labs from `--labs DIR`. */
  readonly trustLabCode: boolean;
  /** Translations to try, most preferred first (src/labs/locale.ts). */
  readonly languages: readonly string[];
  readonly library: Library;
}

export interface LoadedLab {
  readonly lab: Lab;
  /** Problems that did not stop the lab (a translation that was refused: English is shown). */
  readonly warnings: readonly LabProblem[];
}

/** The allowed codes of a check besides the predicate's own: `gone` and `error` are always possible. */
const ALWAYS = ['pass', 'fail', 'gone', 'error'];
const CODE_FILES = ['checks.ts', 'checks.js'];
export const LAB_DIR = /^(\d\d)-([a-z0-9]+(?:-[a-z0-9]+)*)$/;

export async function loadLab(dir: string, options: LoadOptions): Promise<LoadedLab> {
  const file = `${options.shownDir}/lab.md`;
  const problems: LabProblem[] = [];
  const fail = (): never => {
    throw new LabLoadError(problems);
  };
  const dirId = LAB_DIR.exec(basename(dir))?.[2];
  if (!dirId) problems.push({ file: options.shownDir, message: 'is misnamed: a lab directory is named NN-<lab-id> (NN orders the list)' });

  const predicates = new Map(options.library.PREDICATES);
  for (const problem of await loadLabCode(dir, options, predicates)) problems.push(problem);

  const source = readText(join(dir, 'lab.md'));
  if (source === null) {
    problems.push({ file, message: 'is missing: every lab directory has a lab.md' });
    fail();
  }
  const parsed = parseLabFile(source!, file, frontMatter, problems);
  if (!parsed) fail();
  const { data, prose } = parsed!;
  if (dirId && data.id !== dirId) problems.push({ file, line: parsed!.lineOf(['id']), field: 'id', message: `is "${data.id}", but the directory says "${dirId}"` });

  const steps: Step[] = data.steps.map((step, s) => {
    const at = (path: readonly PropertyKey[], message: string, field = formatPath(path)) =>
      problems.push({ file, line: parsed!.lineOf(['steps', s, ...path]), step: step.id, field, message });
    if (data.steps.findIndex((other) => other.id === step.id) !== s) at(['id'], `repeats the id of an earlier step`);
    // A check whose predicate is unknown stays a draft: it is reported, and the lab refused.
    const drafts = step.checks.map((check, c): { id: string; title: string; predicate?: LabPredicate; params: unknown; requires?: readonly string[] } => {
      if (step.checks.findIndex((other) => other.id === check.id) !== c) at(['checks', c, 'id'], `"${check.id}" repeats the id of an earlier check of this step`);
      const predicate = predicates.get(check.predicate);
      if (!predicate) {
        at(['checks', c, 'predicate'], `names no known predicate "${check.predicate}"${suggest(check.predicate, [...predicates.keys()])}`);
        return { id: check.id, title: check.title, params: undefined };
      }
      const params = predicate.params.safeParse(check.with);
      if (!params.success) for (const issue of params.error.issues) at(['checks', c, 'with', ...issue.path], `${issue.message} (predicate ${predicate.name})`);
      return { id: check.id, title: check.title, predicate, params: params.success ? params.data : undefined, ...(check.requires?.length ? { requires: check.requires } : {}) };
    });
    for (const [w, attempt] of step.wrong.entries()) {
      if (step.wrong.findIndex((other) => other.name === attempt.name) !== w) at(['wrong', w, 'name'], `"${attempt.name}" repeats the name of an earlier wrong attempt`);
      let anyFailure = false;
      for (const [checkId, code] of Object.entries(attempt.expect)) {
        const check = drafts.find((k) => k.id === checkId);
        if (!check) {
          at(['wrong', w, 'expect', checkId], `names no check of this step (checks: ${drafts.map((k) => k.id).join(', ')})`);
          continue;
        }
        const codes = [...ALWAYS, ...(check.predicate?.codes ?? [])];
        // An unknown predicate is reported once, at its name; its codes cannot be judged.
        if (check.predicate && !codes.includes(code)) at(['wrong', w, 'expect', checkId], `"${code}" is not a verdict of ${check.predicate.name}; one of: ${codes.join(', ')}`);
        if (code !== 'pass') anyFailure = true;
      }
      if (!anyFailure) at(['wrong', w, 'expect'], 'expects every check to pass: a wrong attempt must expect at least one check to fail');
    }
    const section = prose.sections[s];
    const checks: Check[] = drafts.flatMap((d) => (d.predicate ? [{ ...d, predicate: d.predicate }] : []));
    return { id: step.id, title: step.title, goal: section?.goal ?? '', hints: section?.hints ?? [], solution: step.solution, checks, wrong: step.wrong };
  });
  matchSections(data.steps, prose, file, problems);

  let setup = data.start.setup;
  const setupFile = readText(join(dir, 'setup.sh'));
  if (setupFile !== null) {
    if (setup !== undefined) problems.push({ file, line: parsed!.lineOf(['start', 'setup']), field: 'start.setup', message: 'is given twice: here and in setup.sh; keep one' });
    setup = setupFile;
  }
  if (problems.length) fail();

  const lab: Lab = {
    id: data.id,
    title: data.title,
    summary: data.summary,
    ...(data.source !== undefined ? { source: data.source } : {}),
    requires: data.requires,
    start: { container: data.start.container, ...(setup !== undefined ? { setup } : {}), ...cgroupOf(data) },
    intro: prose.intro,
    steps,
    origin: { file, builtIn: options.builtIn, language: 'en' },
  };
  const warnings: LabProblem[] = [];
  return { lab: translate(lab, dir, options, warnings), warnings };
}

/**
 * The lab's cgroup: required by the lab (refused where the machine has none), or wanted by some
 * of its checks only (given where the machine can, and those checks skipped where not).
 */
function cgroupOf(data: FrontMatter): { cgroup?: true | 'where-available' } {
  if (data.requires.includes('cgroup')) return { cgroup: true };
  return data.steps.some((s) => s.checks.some((c) => c.requires?.includes('cgroup'))) ? { cgroup: 'where-available' } : {};
}

interface ParsedFile<T> {
  readonly data: T;
  readonly prose: Prose;
  /** The file line of the YAML node at `path` (or of its nearest parent that exists). */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * Splits a lab file into its YAML front matter (between a first line `---` and the next) and
 * its Markdown body, parses both, and validates the front matter with `schema`. Returns null
 * when the problems found leave nothing to check further.
 */
function parseLabFile<S extends z.ZodType>(source: string, file: string, schema: S, problems: LabProblem[]): ParsedFile<z.output<S>> | null {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  const end = lines.indexOf('---', 1);
  if (lines[0] !== '---' || end < 0) {
    problems.push({ file, line: 1, message: 'must start with YAML front matter: a line `---`, the lab\'s fields, and a closing `---`' });
    return null;
  }
  // Line 1 is the opening `---`: the YAML's line n is the file's line n + 1.
  const lineCounter = new LineCounter();
  const doc = parseDocument(lines.slice(1, end).join('\n'), { lineCounter, uniqueKeys: true, prettyErrors: true });
  for (const error of doc.errors) {
    const line = error.linePos?.[0].line;
    problems.push({ file, ...(line ? { line: line + 1 } : {}), message: `is not valid YAML: ${error.message.split('\n')[0]}` });
  }
  if (doc.errors.length) return null;
  const lineOf = (path: readonly PropertyKey[]) => nodeLine(doc, lineCounter, path);
  const raw: unknown = doc.toJS();
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== FORMAT) {
    problems.push({ file, line: lineOf(['format']), field: 'format', message: `${format === undefined ? 'is missing' : `is ${JSON.stringify(format)}`}: this nslab reads format ${FORMAT}` });
    return null;
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push({ file, line: lineOf(issue.path), ...describePath(raw, issue.path), message: issue.message });
    return null;
  }
  const prose = parseProse(lines.slice(end + 1).join('\n'), end + 2);
  for (const p of prose.problems) problems.push({ file, line: p.line, ...(p.step !== undefined ? { step: p.step } : {}), message: p.message });
  return { data: result.data, prose, lineOf };
}

function nodeLine(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let p = [...path]; ; p = p.slice(0, -1)) {
    const node = p.length ? doc.getIn(p as (string | number)[], true) : doc.contents;
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line + 1;
    if (p.length === 0) return undefined;
  }
}

/** `steps[1].checks[0].with.path` → step "pivot", field `checks[0].with.path`. */
function describePath(raw: unknown, path: readonly PropertyKey[]): { step?: string; field?: string } {
  if (path[0] === 'steps' && typeof path[1] === 'number') {
    const id = (raw as { steps?: Array<{ id?: unknown }> }).steps?.[path[1]]?.id;
    const field = formatPath(path.slice(2));
    return { step: typeof id === 'string' ? id : `#${path[1] + 1}`, ...(field ? { field } : {}) };
  }
  const field = formatPath(path);
  return field ? { field } : {};
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('');
}

/** Every step has exactly one `## <step-id>` section, in the order of `steps:`. */
function matchSections(steps: readonly { id: string }[], prose: Prose, file: string, problems: LabProblem[]): void {
  const ids = steps.map((s) => s.id);
  const headings = prose.sections.map((s) => s.id);
  for (const section of prose.sections) {
    if (!ids.includes(section.id)) problems.push({ file, line: section.line, message: `the section "## ${section.id}" names no step (steps: ${ids.join(', ')})` });
  }
  for (const [i, id] of ids.entries()) {
    const count = headings.filter((h) => h === id).length;
    if (count === 0) problems.push({ file, step: id, message: `has no "## ${id}" section with its goal and hints` });
    else if (count > 1) problems.push({ file, step: id, message: `has ${count} "## ${id}" sections; keep one` });
    else if (headings[i] !== id) problems.push({ file, line: prose.sections.find((s) => s.id === id)!.line, step: id, message: `its section is out of order: the sections follow the order of steps: (${ids.join(', ')})` });
  }
}

function suggest(name: string, known: readonly string[]): string {
  const family = name.split('.')[0];
  const near = known.filter((k) => k.split('.')[0] === family);
  return near.length ? `; did you mean ${near.join(', ')}?` : known.length ? `; known: ${known.join(', ')}` : '';
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * A lab's own predicates (checks.ts or checks.js beside lab.md), added to `predicates`.
 *
 * The file runs inside nslab, as root when nslab is started by root: a built-in lab's is part
 * of nslab; one from `--labs DIR` only with `--trust-lab-code`, and without it the lab is refused
 * with that reason. The module default-exports a function `({ z }) => Predicate[]` (zod handed
 * in, so a lab outside nslab's package needs no node_modules of its own) or the array itself.
 *
 * checks.js is plain JavaScript and loads on plain Node. checks.ts loads where TypeScript can be
 * imported (tsx, vitest) and otherwise through tsx's loader, imported only then: the bundled app
 * never loads tsx for a lab without a checks.ts.
 */
async function loadLabCode(dir: string, options: LoadOptions, predicates: Map<string, LabPredicate>): Promise<LabProblem[]> {
  const present = CODE_FILES.filter((f) => existsSync(join(dir, f)));
  if (present.length === 0) return [];
  const file = `${options.shownDir}/${present[0]}`;
  if (present.length > 1) return [{ file, message: 'checks.ts and checks.js are both present; keep one' }];
  if (!options.builtIn && !options.trustLabCode) {
    return [{ file, message: `is code that would run inside nslab${process.getuid?.() === 0 ? ' as root' : ''}: the lab is refused. Read it, then pass --trust-lab-code to load it` }];
  }
  let exported: unknown;
  try {
    exported = ((await importModule(join(dir, present[0]!))) as { default?: unknown }).default;
    if (typeof exported === 'function') exported = (exported as (toolkit: { z: typeof z }) => unknown)({ z });
  } catch (error) {
    return [{ file, message: `could not be loaded: ${(error as Error).message}` }];
  }
  if (!Array.isArray(exported)) return [{ file, message: 'must default-export an array of predicates, or a function ({ z }) returning one' }];
  const problems: LabProblem[] = [];
  for (const [i, p] of exported.entries()) {
    const shape = labPredicateShape.safeParse(p);
    if (!shape.success) {
      problems.push({ file, field: `[${i}]${formatPath(shape.error.issues[0]!.path) ? `.${formatPath(shape.error.issues[0]!.path)}` : ''}`, message: shape.error.issues[0]!.message });
      continue;
    }
    const predicate = p as LabPredicate;
    if (predicates.has(predicate.name)) problems.push({ file, field: `[${i}].name`, message: `"${predicate.name}" is already a predicate${options.library.PREDICATES.has(predicate.name) ? ' of the library' : ' of this file'}; choose another name` });
    else predicates.set(predicate.name, predicate);
  }
  return problems;
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');
const labPredicateShape = z.object({
  name: z.string().regex(/^[a-z][a-zA-Z0-9-]*(\.[a-zA-Z][a-zA-Z0-9-]*)+$/, 'must be dotted words, e.g. "myLab.fileSays"'),
  params: z.custom<z.ZodType>((v) => v instanceof z.ZodType, 'must be a zod schema'),
  codes: z.array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case words joined by "-"')),
  evaluate: fn,
  explain: fn.optional(),
});

export async function importModule(path: string): Promise<unknown> {
  const url = pathToFileURL(path).href;
  try {
    return await import(url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(url, import.meta.url);
  }
}

/**
 * The lab in the first preferred language that has a valid lab.<lang>.md. A translation with a
 * mistake is refused with a warning and the English text is shown: a typo in a translation never
 * takes a lab away.
 */
function translate(lab: Lab, dir: string, options: LoadOptions, warnings: LabProblem[]): Lab {
  for (const language of options.languages) {
    const source = readText(join(dir, `lab.${language}.md`));
    if (source === null) continue;
    const file = `${options.shownDir}/lab.${language}.md`;
    const problems: LabProblem[] = [];
    const parsed = parseLabFile(source, file, translationFrontMatter, problems);
    if (parsed) {
      const { data, prose } = parsed;
      if (data.id !== lab.id) problems.push({ file, line: parsed.lineOf(['id']), field: 'id', message: `is "${data.id}"; it translates lab.md, whose id is "${lab.id}"` });
      const wanted = lab.steps.map((s) => s.id).join(', ');
      if (data.steps.map((s) => s.id).join(', ') !== wanted) problems.push({ file, line: parsed.lineOf(['steps']), field: 'steps', message: `must list the steps of lab.md, in order: ${wanted}` });
      for (const [s, step] of data.steps.entries()) {
        const original = lab.steps.find((o) => o.id === step.id);
        for (const [c, check] of step.checks.entries()) {
          if (original && !original.checks.some((k) => k.id === check.id)) {
            problems.push({ file, line: parsed.lineOf(['steps', s, 'checks', c, 'id']), step: step.id, field: `checks[${c}].id`, message: `"${check.id}" is not a check of this step in lab.md (${original.checks.map((k) => k.id).join(', ')})` });
          }
        }
      }
      matchSections(lab.steps, prose, file, problems);
      if (problems.length === 0) return applyTranslation(lab, data, prose, language);
    }
    warnings.push(...problems.map((p) => ({ ...p, message: `${p.message} (the translation is not used; the lab is shown in English)` })));
  }
  return lab;
}

function applyTranslation(lab: Lab, data: z.output<typeof translationFrontMatter>, prose: Prose, language: string): Lab {
  return {
    ...lab,
    title: data.title ?? lab.title,
    summary: data.summary ?? lab.summary,
    intro: prose.intro || lab.intro,
    steps: lab.steps.map((step, s) => {
      const t = data.steps[s]!;
      const section = prose.sections[s]!;
      return {
        ...step,
        title: t.title ?? step.title,
        goal: section.goal,
        hints: section.hints,
        checks: step.checks.map((check) => ({ ...check, title: t.checks.find((k) => k.id === check.id)?.title ?? check.title })),
      };
    }),
    origin: { ...lab.origin, language },
  };
}

