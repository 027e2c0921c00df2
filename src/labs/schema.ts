/**
 * The front matter of Lab format 1 (docs/lab-format.md) as zod schemas. Objects are strict: a
 * misspelt field is a load error naming it, never a silently ignored line. What zod cannot say
 * alone (a predicate's own parameters, expect codes, ids across steps) load.ts checks after.
 */
import { z } from 'zod';
import { REQUIREMENTS } from './requirements.ts';

export const FORMAT = 1;

export const labId = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by "-"');
const text = z.string().trim().min(1, 'must not be empty');

/** util-linux unshare(1) names, as src/world/stage.ts takes them. */
const namespace = z.enum(['mount', 'pid', 'net', 'uts', 'ipc', 'cgroup', 'user']);

/** `- host: cmd` or `- container: cmd`, with an optional `wait:` in ms after the prompt returns. */
const solutionLine = z
  .object({
    host: text.optional(),
    container: text.optional(),
    wait: z.number().int().nonnegative().max(60_000, 'at most 60000 ms').optional(),
  })
  .strict()
  .refine((line) => (line.host === undefined) !== (line.container === undefined), 'name exactly one pane: `host: <command>` or `container: <command>`')
  .transform((line) => ({
    pane: line.host !== undefined ? ('host' as const) : ('container' as const),
    command: (line.host ?? line.container)!,
    ...(line.wait !== undefined ? { waitMs: line.wait } : {}),
  }));

const check = z
  .object({
    id: labId,
    title: text,
    predicate: z.string().min(1, 'must name a predicate'),
    with: z.record(z.string(), z.unknown()).default({}),
    /** Checked only where the machine has these (e.g. the capstone's limits); skipped elsewhere. */
    requires: z.array(z.enum(REQUIREMENTS)).optional(),
  })
  .strict();

const wrong = z
  .object({
    name: text,
    run: z.array(solutionLine).min(1, 'needs at least one line'),
    expect: z.record(z.string(), z.string()).refine((e) => Object.keys(e).length > 0, 'must name at least one check'),
  })
  .strict();

const step = z
  .object({
    id: labId,
    title: text,
    solution: z.array(solutionLine).min(1, 'needs at least one line'),
    checks: z.array(check).min(1, 'needs at least one check'),
    wrong: z.array(wrong).default([]),
  })
  .strict();

const start = z
  .object({
    container: z
      .object({
        namespaces: z.array(namespace),
        root: z.enum(['pivot', 'chroot', 'none']),
        proc: z.boolean().default(false),
        hostname: z.string().optional(),
      })
      .strict(),
    setup: z.string().optional(),
  })
  .strict();

export const frontMatter = z
  .object({
    format: z.literal(FORMAT),
    id: labId,
    title: text,
    summary: text,
    source: z.string().optional(),
    requires: z.array(z.enum(REQUIREMENTS)).default([]),
    start,
    steps: z.array(step).min(1, 'needs at least one step'),
  })
  .strict();

export type FrontMatter = z.output<typeof frontMatter>;

/**
 * A lab.<lang>.md: the same ids, prose only. Anything a machine acts on (solutions, checks'
 * predicates, wrong attempts, the start) stays in lab.md alone, so a translation can change no
 * verdict; a strict schema turns such a field into a load error.
 */
export const translationFrontMatter = z
  .object({
    format: z.literal(FORMAT),
    id: labId,
    title: text.optional(),
    summary: text.optional(),
    steps: z.array(
      z
        .object({
          id: labId,
          title: text.optional(),
          checks: z.array(z.object({ id: labId, title: text }).strict()).default([]),
        })
        .strict(),
    ),
  })
  .strict();

export type TranslationFrontMatter = z.output<typeof translationFrontMatter>;
