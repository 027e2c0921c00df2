/** Validation of lab files with zod: every problem is reported with its file, step and field. */
import { z } from 'zod';
import { LabDefinitionError } from '../errors.ts';
import type { Lab } from './types.ts';

const id = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lower-case words joined by "-"');
const text = z.string().trim().min(1, 'must not be empty');
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'must be a function');

const namespace = z.enum(['mount', 'pid', 'net', 'uts', 'ipc', 'cgroup', 'user']);

const stageSchema = z.object({
  container: z.object({
    namespaces: z.array(namespace),
    root: z.enum(['pivot', 'chroot', 'none']),
    proc: z.boolean(),
    hostname: z.string().optional(),
  }),
  setup: z.string().optional(),
});

const checkSchema = z.object({ id, title: text, run: fn });

const stepSchema = z.object({
  id,
  title: text,
  goal: text,
  hints: z.array(text).min(1, 'needs at least one hint'),
  solution: z.array(z.object({ pane: z.enum(['host', 'container']), command: text, waitMs: z.number().int().nonnegative().optional() })).min(1, 'needs at least one line'),
  checks: z.array(checkSchema).min(1, 'needs at least one check'),
});

export const labSchema = z.object({
  id,
  title: text,
  summary: text,
  source: z.string().optional(),
  start: stageSchema,
  steps: z.array(stepSchema).min(1, 'needs at least one step'),
});

/** Validates a lab module's default export; throws LabDefinitionError naming file, step and field. */
export function validateLab(value: unknown, file: string): Lab {
  const result = labSchema.safeParse(value);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${describePath(value, issue.path)}: ${issue.message}`);
    throw new LabDefinitionError(`Lab file ${file} is not valid:\n${lines.join('\n')}`, 'Fix the fields above; `nslab verify <lab-id>` checks a lab end to end.');
  }
  // The definition itself, not zod's copy: validation must not change what the lab says.
  const lab = value as Lab;
  const stepIds = new Set<string>();
  for (const [index, step] of lab.steps.entries()) {
    if (stepIds.has(step.id)) throw new LabDefinitionError(`Lab file ${file}: step ${index + 1} repeats the id "${step.id}".`);
    stepIds.add(step.id);
  }
  return lab;
}

/** "step 2 (\"pivot\"), field checks[0].run" rather than a bare path. */
function describePath(value: unknown, path: readonly PropertyKey[]): string {
  if (path[0] === 'steps' && typeof path[1] === 'number') {
    const steps = (value as { steps?: Array<{ id?: unknown }> }).steps;
    const stepId = steps?.[path[1]]?.id;
    const rest = formatPath(path.slice(2));
    return `step ${path[1] + 1}${typeof stepId === 'string' ? ` ("${stepId}")` : ''}, field ${rest || '(the step itself)'}`;
  }
  return `field ${formatPath(path) || '(the lab itself)'}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('');
}
