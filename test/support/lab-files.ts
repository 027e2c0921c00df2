/**
 * Lab directories written for a test, and a tiny predicate library of their own (on the real
 * KernelView), so the loader, runner and verify are proven apart from the real predicates.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { z } from 'zod';
import { LIBRARY, type Library, type LabPredicate, type Verdict } from '../../src/labs/library.ts';

const roots: string[] = [];
afterEach(() => {
  for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding `files` (paths relative to it); removed after the test. */
export function labsDir(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'nslab-labs-'));
  roots.push(root);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

/** `test.fileSays`: the lab host's file at `path` holds `text` (read through /proc from nslab's side). */
export const fileSays: LabPredicate<{ path: string; text: string }, 'missing' | 'different'> = {
  name: 'test.fileSays',
  params: z.object({ path: z.string().startsWith('/'), text: z.string() }).strict(),
  codes: ['missing', 'different'],
  evaluate(view, { path, text }): Verdict<'missing' | 'different'> {
    const found = view.labHost?.read(path) ?? null;
    if (found === null) return { code: 'missing', facts: {} };
    if (found.trim() === text) return { code: 'pass', facts: {} };
    return { code: 'different', facts: { found: found.trim() } };
  },
  explain: ({ path, text }, verdict) => ({ expected: `${path} says "${text}"`, found: verdict.code === 'pass' ? 'it does' : `${path}: ${verdict.code}${verdict.facts.found ? ` ("${verdict.facts.found}")` : ''}` }),
};

/** `test.hangs`: never answers (a probe blocked on something the lab made). */
export const hangs: LabPredicate<Record<string, never>, never> = {
  name: 'test.hangs',
  params: z.object({}).strict(),
  codes: [],
  evaluate: () => new Promise(() => {}),
};

export const TEST_LIBRARY: Library = {
  PREDICATES: new Map<string, LabPredicate>([
    [fileSays.name, fileSays as LabPredicate],
    [hangs.name, hangs as LabPredicate],
  ]),
  kernelView: LIBRARY.kernelView,
  explain: LIBRARY.explain,
};

/** A small valid lab.md: two steps, wrong attempts for each. `patch` edits its text. */
export function labMd(id = 'notes', patch: (text: string) => string = (t) => t): string {
  return patch(`---
format: 1
id: ${id}
title: Notes in files
summary: Write two files in the host pane.
start:
  container:
    namespaces: [mount]
    root: none
steps:
  - id: first
    title: Write hello to /tmp/a
    solution:
      - host: echo hello > /tmp/a
    checks:
      - id: a-says-hello
        title: /tmp/a says hello
        predicate: test.fileSays
        with: { path: /tmp/a, text: hello }
    wrong:
      - name: an empty file
        run:
          - host: touch /tmp/a
        expect:
          a-says-hello: different
      - name: the wrong file
        run:
          - host: echo hello > /tmp/b
        expect:
          a-says-hello: missing
  - id: second
    title: Copy /tmp/a to /tmp/c
    solution:
      - host: cp /tmp/a /tmp/c
        wait: 10
    checks:
      - id: c-says-hello
        title: /tmp/c says hello
        predicate: test.fileSays
        with: { path: /tmp/c, text: hello }
    wrong:
      - name: copied, then appended to
        run:
          - host: cp /tmp/a /tmp/c && echo more >> /tmp/c
        expect:
          c-says-hello: different
---

An introduction.

## first

Write a file,
on two lines of prose.

\`\`\`sh
## not a heading: code
\`\`\`

### Hints

1. Vaguest first.
2. The command:
   \`echo hello > /tmp/a\`

## second

Copy it.

### Hints

1. \`cp /tmp/a /tmp/c\`
`);
}
