/**
 * Lab format 1 as the loader reads it (docs/lab-format.md): a good lab.md loads with its prose,
 * every mistake is reported with file, line, step and field, one bad lab never stops the others,
 * translations are chosen from the environment, and lab code runs only when trusted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/labs/catalog.ts';
import { preferredLanguages } from '../src/labs/locale.ts';
import type { PredicateCheck } from '../src/labs/types.ts';
import { labMd, labsDir, TEST_LIBRARY } from './support/lab-files.ts';

const load = (root: string, extra: { trustLabCode?: boolean; languages?: string[] } = {}) =>
  loadCatalog({ builtInDir: null, labDirs: [root], library: TEST_LIBRARY, languages: [], ...extra });

/** The problems of one malformed lab.md, as the catalog reports them. */
async function problemsOf(text: string, files: Record<string, string> = {}): Promise<string[]> {
  const root = labsDir({ '01-notes/lab.md': text, ...files });
  const { labs, problems } = await load(root);
  expect(labs).toEqual([]);
  return [...problems];
}

describe('a lab.md', () => {
  it('loads: front matter typed, prose by step, params parsed by the predicate, wrong attempts kept', async () => {
    const root = labsDir({ '01-notes/lab.md': labMd() });
    const { labs, problems } = await load(root);
    expect(problems).toEqual([]);
    const [lab] = labs;
    expect(lab).toMatchObject({ id: 'notes', title: 'Notes in files', intro: 'An introduction.', requires: [] });
    expect(lab!.start).toEqual({ container: { namespaces: ['mount'], root: 'none', proc: false } });
    expect(lab!.origin).toEqual({ file: `${root}/01-notes/lab.md`, builtIn: false, language: 'en' });
    const [first, second] = lab!.steps;
    expect(first!.goal).toBe('Write a file, on two lines of prose.\n\n```sh\n## not a heading: code\n```');
    expect(first!.hints).toEqual(['Vaguest first.', 'The command: `echo hello > /tmp/a`']);
    expect(first!.solution).toEqual([{ pane: 'host', command: 'echo hello > /tmp/a' }]);
    expect(second!.solution).toEqual([{ pane: 'host', command: 'cp /tmp/a /tmp/c', waitMs: 10 }]);
    const check = first!.checks[0] as PredicateCheck;
    expect(check.predicate.name).toBe('test.fileSays');
    expect(check.params).toEqual({ path: '/tmp/a', text: 'hello' });
    expect(first!.wrong.map((w) => w.expect)).toEqual([{ 'a-says-hello': 'different' }, { 'a-says-hello': 'missing' }]);
  });

  it("takes a check's requires: (the stage gets a cgroup where available), and refuses an unknown one", async () => {
    const wants = labMd('notes', (t) => t.replace('with: { path: /tmp/a, text: hello }', 'with: { path: /tmp/a, text: hello }\n        requires: [cgroup]'));
    const { labs, problems } = await load(labsDir({ '01-notes/lab.md': wants }));
    expect(problems).toEqual([]);
    expect(labs[0]!.steps[0]!.checks[0]!.requires).toEqual(['cgroup']);
    expect(labs[0]!.steps[1]!.checks[0]!.requires).toBeUndefined();
    // Not refused where unmet (that is the lab-level requires:): its checks are skipped instead.
    expect(labs[0]!.requires).toEqual([]);
    expect(labs[0]!.start.cgroup).toBe('where-available');
    const [problem] = await problemsOf(wants.replace('requires: [cgroup]', 'requires: [cgroups]'));
    expect(problem).toMatch(/step "first", field checks\[0\]\.requires\[0\]: Invalid input: expected "cgroup"/);
  });

  it('refuses another format with "this nslab reads format 1"', async () => {
    const [problem] = await problemsOf(labMd('notes', (t) => t.replace('format: 1', 'format: 2')));
    expect(problem).toMatch(/01-notes\/lab\.md:2: field format: is 2: this nslab reads format 1$/);
  });

  it('names file, line, step and field of each mistake in the front matter', async () => {
    const text = labMd('notes', (t) =>
      t
        .replace('with: { path: /tmp/a, text: hello }', 'with: { path: /tmp/a, txt: hello }')
        .replace('predicate: test.fileSays\n        with: { path: /tmp/c', 'predicate: test.fileSay\n        with: { path: /tmp/c')
        .replace('a-says-hello: missing', 'a-says-helo: missing')
        .replace('a-says-hello: different', 'a-says-hello: wrong-namespace'),
    );
    const problems = await problemsOf(text);
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(problems).toContain(`${problems[0]!.split(':')[0]}:${lineOf('txt: hello')}: step "first", field checks[0].with: Unrecognized key: "txt" (predicate test.fileSays)`);
    const unknownLine = lines.findIndex((l) => l.trim() === 'predicate: test.fileSay') + 1;
    expect(problems.find((p) => p.includes('test.fileSay"'))).toContain(`:${unknownLine}: `);
    expect(problems.find((p) => p.includes('test.fileSay"'))).toMatch(/step "second", field checks\[0\]\.predicate: names no known predicate "test\.fileSay"; did you mean test\.fileSays, test\.hangs\?/);
    expect(problems.find((p) => p.includes('a-says-helo'))).toMatch(new RegExp(`:${lineOf('a-says-helo')}: step "first", field wrong\\[1\\]\\.expect\\.a-says-helo: names no check of this step \\(checks: a-says-hello\\)`));
    expect(problems.find((p) => p.includes('wrong-namespace'))).toMatch(/step "first", field wrong\[0\]\.expect\.a-says-hello: "wrong-namespace" is not a verdict of test\.fileSays; one of: pass, fail, gone, error, missing, different/);
  });

  it('refuses a misspelt field, a line naming no pane or two, a wrong attempt expecting only passes', async () => {
    const problems = await problemsOf(
      labMd('notes', (t) =>
        t
          .replace('    solution:\n      - host: echo hello > /tmp/a', '    soluton:\n      - host: echo hello > /tmp/a'),
      ),
    );
    expect(problems.join('\n')).toMatch(/step "first": Unrecognized key: "soluton"/);
    expect(problems.join('\n')).toMatch(/step "first", field solution: Invalid input: expected array, received undefined/);
    const panes = await problemsOf(labMd('notes', (t) => t.replace('      - host: echo hello > /tmp/a', '      - host: echo hello > /tmp/a\n        container: ls')));
    expect(panes.join('\n')).toMatch(/step "first", field solution\[0\]: name exactly one pane/);
    const allPass = await problemsOf(labMd('notes', (t) => t.replace('a-says-hello: missing', 'a-says-hello: pass')));
    expect(allPass.join('\n')).toMatch(/field wrong\[1\]\.expect: expects every check to pass: a wrong attempt must expect at least one check to fail/);
  });

  it('reports YAML syntax errors and a missing front matter with their lines', async () => {
    const [yaml] = await problemsOf(labMd('notes', (t) => t.replace('title: Notes in files', 'title: [Notes')));
    expect(yaml).toMatch(/01-notes\/lab\.md:\d+: is not valid YAML: /);
    const [none] = await problemsOf('# Just markdown\n');
    expect(none).toMatch(/01-notes\/lab\.md:1: must start with YAML front matter/);
  });

  it('holds the prose to the steps: one section per step, in order, with a goal and numbered hints', async () => {
    const text = labMd('notes', (t) => t.replace('## second\n\nCopy it.\n\n### Hints\n\n1. `cp /tmp/a /tmp/c`\n', '## secnd\n\nCopy it.\n\n### Hints\n\nJust do it.\n'));
    const problems = (await problemsOf(text)).join('\n');
    const line = text.split('\n').indexOf('## secnd') + 1;
    expect(problems).toContain(`:${line}: the section "## secnd" names no step (steps: first, second)`);
    expect(problems).toContain('step "second": has no "## second" section with its goal and hints');
    expect(problems).toMatch(new RegExp(`:${line + 6}: step "secnd": text under \`### Hints\` that is not a numbered hint`));
    const empty = (await problemsOf(labMd('notes', (t) => t.replace(/## first\n[\s\S]*?## second/, '## first\n\n## second')))).join('\n');
    expect(empty).toMatch(/step "first": the goal is empty/);
    expect(empty).toMatch(/step "first": has no `### Hints` section/);
    const swapped = labMd('notes', (t) => {
      const [head, body] = [t.slice(0, t.indexOf('## first')), t.slice(t.indexOf('## first'))];
      const [first, second] = [body.slice(0, body.indexOf('## second')), body.slice(body.indexOf('## second'))];
      return head + second + '\n' + first;
    });
    expect((await problemsOf(swapped)).join('\n')).toMatch(/its section is out of order/);
  });

  it('takes the setup from setup.sh, and refuses one given twice', async () => {
    const root = labsDir({ '01-notes/lab.md': labMd(), '01-notes/setup.sh': 'mkdir -p /srv/x\n' });
    expect((await load(root)).labs[0]!.start.setup).toBe('mkdir -p /srv/x\n');
    const twice = await problemsOf(labMd('notes', (t) => t.replace('    root: none\n', '    root: none\n  setup: echo hi\n')), { '01-notes/setup.sh': 'true\n' });
    expect(twice.join('\n')).toMatch(/field start\.setup: is given twice: here and in setup\.sh/);
  });

  it('refuses a directory whose name disagrees with the id, and a repeated id across directories', async () => {
    const problems = await problemsOf(labMd('other'));
    expect(problems.join('\n')).toMatch(/01-notes\/lab\.md:3: field id: is "other", but the directory says "notes"/);
    const a = labsDir({ '01-notes/lab.md': labMd() });
    const b = labsDir({ '07-notes/lab.md': labMd() });
    const { labs, problems: twins } = await loadCatalog({ builtInDir: null, labDirs: [a, b], library: TEST_LIBRARY, languages: [] });
    expect(labs.map((l) => l.origin.file)).toEqual([`${a}/01-notes/lab.md`]);
    expect(twins).toEqual([`${b}/07-notes/lab.md: field id: "notes" is already the id of ${a}/01-notes/lab.md; this lab is not loaded`]);
  });
});

describe('the catalog', () => {
  it('loads each lab on its own: a malformed one is reported, the rest load; files beside labs are passed over', async () => {
    const root = labsDir({
      '01-notes/lab.md': labMd(),
      '02-broken/lab.md': labMd('broken', (t) => t.replace('text: hello }', 'text: 3 }')),
      '03-more/lab.md': labMd('more'),
      'README.md': '# my labs\n',
    });
    const { labs, problems } = await load(root);
    expect(labs.map((l) => l.id)).toEqual(['notes', 'more']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/02-broken\/lab\.md:\d+: step "first", field checks\[0\]\.with\.text: Invalid input: expected string, received number/);
  });

  it('takes one lab directory as --labs DIR too, and refuses a directory that is not there', async () => {
    const root = labsDir({ '01-notes/lab.md': labMd() });
    const { labs } = await loadCatalog({ builtInDir: null, labDirs: [join(root, '01-notes')], library: TEST_LIBRARY, languages: [] });
    expect(labs.map((l) => l.id)).toEqual(['notes']);
    await expect(load(join(root, 'nope'))).rejects.toThrow(/The labs directory .*nope cannot be read/);
  });

  it("README's example lab is the file examples/labs proves, word for word", () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /## Writing a lab[\s\S]*?````markdown\n([\s\S]*?)````/.exec(readme)?.[1];
    expect(block).toBe(readFileSync('examples/labs/01-private-notes/lab.md', 'utf8'));
  });

  it('loads the built-in labs with no problem, and the suite runs verify on each of them', async () => {
    const { labs, problems } = await loadCatalog({ languages: [] });
    expect(problems).toEqual([]);
    expect(labs.length).toBeGreaterThanOrEqual(5);
    for (const lab of labs) expect(lab.origin.builtIn).toBe(true);
    // A lab added to labs/ must be named in a test/labs verify list, or it would go unproven.
    const verified = readdirSync('test/labs').map((f) => readFileSync(join('test/labs', f), 'utf8')).join('\n');
    for (const lab of labs) expect(verified, `no test/labs file verifies ${lab.id}`).toContain(`'${lab.id}'`);
  });
});

describe("a lab's own predicates (checks.ts, checks.js)", () => {
  const checksJs = `export default ({ z }) => [{
  name: 'notes.saysHi',
  params: z.object({ path: z.string() }).strict(),
  codes: ['silent'],
  evaluate: () => ({ code: 'silent', facts: {} }),
  explain: ({ path }) => ({ expected: path + ' says hi', found: 'it is silent' }),
}];
`;
  const withOwn = labMd('notes', (t) => t.replace('predicate: test.fileSays\n        with: { path: /tmp/c, text: hello }', 'predicate: notes.saysHi\n        with: { path: /tmp/c }').replace('c-says-hello: different', 'c-says-hello: silent'));

  it('from --labs DIR: refused without --trust-lab-code, with the reason; loaded with it', async () => {
    const root = labsDir({ '01-notes/lab.md': withOwn, '01-notes/checks.js': checksJs });
    const refused = await load(root);
    expect(refused.labs).toEqual([]);
    expect(refused.problems[0]).toMatch(/01-notes\/checks\.js: is code that would run inside nslab( as root)?: the lab is refused\. Read it, then pass --trust-lab-code to load it/);
    const trusted = await load(root, { trustLabCode: true });
    expect(trusted.problems).toEqual([]);
    const check = trusted.labs[0]!.steps[1]!.checks[0] as PredicateCheck;
    expect(check.predicate.name).toBe('notes.saysHi');
    expect(check.predicate.codes).toEqual(['silent']);
  });

  it('built in: trusted; a TypeScript checks.ts loads too', async () => {
    const root = labsDir({ '01-notes/lab.md': withOwn, '01-notes/checks.ts': checksJs.replace('({ z })', '({ z }: { z: typeof import("zod").z })') });
    const { labs, problems } = await loadCatalog({ builtInDir: root, library: TEST_LIBRARY, languages: [] });
    expect(problems).toEqual([]);
    expect(labs[0]!.origin.builtIn).toBe(true);
  });

  it('refuses a predicate that shadows the library, or is not shaped like one', async () => {
    const root = labsDir({
      '01-notes/lab.md': withOwn,
      '01-notes/checks.js': `export default [{ name: 'test.fileSays', params: {}, codes: [], evaluate() {} }, { name: 'notes.x', codes: 'no', evaluate() {} }];\n`,
    });
    const { problems } = await load(root, { trustLabCode: true });
    expect(problems.join('\n')).toMatch(/checks\.js: field \[0\]\.params: must be a zod schema/);
    expect(problems.join('\n')).toMatch(/checks\.js: field \[1\]\.params: must be a zod schema/);
    const shadow = labsDir({ '01-notes/lab.md': withOwn, '01-notes/checks.js': checksJs.replace("'notes.saysHi'", "'test.fileSays'") });
    expect((await load(shadow, { trustLabCode: true })).problems.join('\n')).toMatch(/"test\.fileSays" is already a predicate of the library; choose another name/);
  });
});

describe('translations', () => {
  const de = `---
format: 1
id: notes
title: Notizen in Dateien
steps:
  - id: first
    title: Schreibe hallo nach /tmp/a
    checks:
      - id: a-says-hello
        title: /tmp/a sagt hello
  - id: second
---

## first

Schreibe eine Datei.

### Hints

1. Erst vage.

## second

Kopiere sie.

### Hints

1. \`cp /tmp/a /tmp/c\`
`;

  it('chooses lab.<lang>.md from LANGUAGE, LC_ALL, LC_MESSAGES, LANG; English when none fits', () => {
    expect(preferredLanguages({ LANGUAGE: 'de_AT:fr', LANG: 'es_ES.UTF-8' })).toEqual(['de_AT', 'de', 'fr', 'es_ES', 'es']);
    expect(preferredLanguages({ LC_ALL: 'pt_BR.UTF-8@x', LC_MESSAGES: 'fr_FR', LANG: 'de_DE' })).toEqual(['pt_BR', 'pt']);
    expect(preferredLanguages({ LC_MESSAGES: 'fr_FR.UTF-8', LANG: 'de_DE' })).toEqual(['fr_FR', 'fr']);
    expect(preferredLanguages({ LANGUAGE: 'en:de', LANG: 'de_DE' })).toEqual([]);
    expect(preferredLanguages({ LANG: 'C.UTF-8' })).toEqual([]);
    expect(preferredLanguages({})).toEqual([]);
  });

  it('shows the translated prose with the same ids, solutions and checks', async () => {
    const root = labsDir({ '01-notes/lab.md': labMd(), '01-notes/lab.de.md': de });
    const { labs, problems } = await load(root, { languages: preferredLanguages({ LANG: 'de_DE.UTF-8' }) });
    expect(problems).toEqual([]);
    const [lab] = labs;
    expect(lab!.origin.language).toBe('de');
    expect(lab!.title).toBe('Notizen in Dateien');
    expect(lab!.summary).toBe('Write two files in the host pane.');
    expect(lab!.steps[0]).toMatchObject({ title: 'Schreibe hallo nach /tmp/a', goal: 'Schreibe eine Datei.', hints: ['Erst vage.'] });
    expect(lab!.steps[0]!.checks[0]!.title).toBe('/tmp/a sagt hello');
    expect(lab!.steps[1]!.title).toBe('Copy /tmp/a to /tmp/c');
    expect(lab!.steps[1]!.solution).toEqual([{ pane: 'host', command: 'cp /tmp/a /tmp/c', waitMs: 10 }]);
    const english = await load(root, { languages: preferredLanguages({ LANG: 'fr_FR.UTF-8' }) });
    expect(english.labs[0]!.origin.language).toBe('en');
  });

  it('refuses a translation with other ids or any field a machine acts on; the lab stays, in English', async () => {
    const bad = de.replace('      - id: a-says-hello', '      - id: a-says-hallo').replace('  - id: second\n', '  - id: second\n    solution:\n      - host: rm -rf /tmp\n');
    const root = labsDir({ '01-notes/lab.md': labMd(), '01-notes/lab.de.md': bad });
    const { labs, problems } = await load(root, { languages: ['de'] });
    expect(labs[0]!.origin.language).toBe('en');
    expect(labs[0]!.steps[0]!.solution[0]!.command).toBe('echo hello > /tmp/a');
    expect(problems.join('\n')).toMatch(/lab\.de\.md:\d+: step "second": Unrecognized key: "solution" \(the translation is not used; the lab is shown in English\)/);
    const renamed = labsDir({ '01-notes/lab.md': labMd(), '01-notes/lab.de.md': de.replace('      - id: a-says-hello', '      - id: a-says-hallo') });
    expect((await load(renamed, { languages: ['de'] })).problems.join('\n')).toMatch(/step "first", field checks\[0\]\.id: "a-says-hallo" is not a check of this step in lab\.md \(a-says-hello\)/);
  });
});
