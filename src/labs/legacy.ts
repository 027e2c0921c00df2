/**
 * TEMPORARY: the labs as TypeScript modules (`labs/NN-<id>.ts`), loaded beside the lab.md labs
 * until their ports land; then this file goes, with LegacyCheck. Validation with zod: every
 * problem is reported with its file, step and field.
 */
import { z } from 'zod';
import { importModule, LabLoadError, type LabProblem } from './load.ts';
import type { Lab as FormatLab, LegacyCheck, LegacyResult, SolutionLine } from './types.ts';

export type { PaneName } from './types.ts';
/** The names the labs/NN-<id>.ts modules import. */
export type { LegacyCheck as Check, LegacyResult as CheckResult, LegacyLab as Lab };

const id = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by "-"');
const text = z.string().trim().min(1, 'must not be empty');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

const legacySchema = z.object({
  id,
  title: text,
  summary: text,
  source: z.string().optional(),
  start: z.object({
    container: z.object({
      namespaces: z.array(z.enum(['mount', 'pid', 'net', 'uts', 'ipc', 'cgroup', 'user'])),
      root: z.enum(['pivot', 'chroot', 'none']),
      proc: z.boolean(),
      hostname: z.string().optional(),
    }),
    setup: z.string().optional(),
  }),
  steps: z
    .array(
      z.object({
        id,
        title: text,
        goal: text,
        hints: z.array(text).min(1, 'needs at least one hint'),
        solution: z.array(z.object({ pane: z.enum(['host', 'container']), command: text, waitMs: z.number().int().nonnegative().optional() })).min(1),
        checks: z.array(z.object({ id, title: text, run: fn })).min(1),
      }),
    )
    .min(1),
});

interface LegacyStep {
  readonly id: string;
  readonly title: string;
  readonly goal: string;
  readonly hints: readonly string[];
  readonly solution: readonly SolutionLine[];
  readonly checks: readonly LegacyCheck[];
}

/** What a labs/NN-<id>.ts module default-exports. */
export interface LegacyLab extends Omit<FormatLab, 'steps' | 'requires' | 'intro' | 'origin'> {
  readonly steps: readonly LegacyStep[];
}

export async function loadLegacyLab(path: string, file: string, fileId: string): Promise<FormatLab> {
  let value: unknown;
  try {
    value = ((await importModule(path)) as { default?: unknown }).default;
  } catch (error) {
    throw new LabLoadError([{ file, message: `could not be loaded: ${(error as Error).message}` }]);
  }
  const result = legacySchema.safeParse(value);
  if (!result.success) {
    throw new LabLoadError(result.error.issues.map((issue): LabProblem => ({ file, field: issue.path.join('.'), message: issue.message })));
  }
  const lab = value as LegacyLab;
  if (lab.id !== fileId) throw new LabLoadError([{ file, field: 'id', message: `is "${lab.id}", but the file name says "${fileId}"` }]);
  return { ...lab, requires: [], intro: '', steps: lab.steps.map((s) => ({ ...s, wrong: [] })), origin: { file, builtIn: true, language: 'en' } };
}
