/**
 * The predicate library: the seam between the lab loader and the kernel (docs/lab-format.md).
 * One definition per concept, one file per area; a new area adds its file's list here.
 */
import type { Stage } from '../world/stage.ts';
import { CAPS_PREDICATES } from './caps.ts';
import { FILE_PREDICATES } from './file.ts';
import { JOINED_PREDICATES } from './joined.ts';
import { LiveSource, worldOf } from './live.ts';
import { message } from './messages.ts';
import { MOUNT_PREDICATES } from './mount.ts';
import { NET_PREDICATES } from './net.ts';
import { NS_PREDICATES } from './ns.ts';
import { OVERLAY_PREDICATES } from './overlay.ts';
import { PROC_PREDICATES } from './proc.ts';
import { PROGRAM_PREDICATES } from './programs.ts';
import { ROOT_PREDICATES } from './root.ts';
import { USER_PREDICATES } from './user.ts';
import { UTS_PREDICATES } from './uts.ts';
import { COMMON_CODES, type AnyPredicate, type Predicate, type Verdict } from './types.ts';
import { KernelView } from './view.ts';

export type { Predicate, Verdict, Facts, FactValue, Subject } from './types.ts';
export { COMMON_CODES } from './types.ts';
export { KernelView, ProcView, type KernelSource } from './view.ts';

/** Builds the registry; a lab's own checks.ts adds to a copy of it with the same rule. */
export function registry(...groups: ReadonlyArray<readonly AnyPredicate[]>): ReadonlyMap<string, Predicate<unknown, string>> {
  const map = new Map<string, Predicate<unknown, string>>();
  for (const p of groups.flat()) {
    if (map.has(p.name)) throw new Error(`two predicates are named ${p.name}`);
    map.set(p.name, p as Predicate<unknown, string>);
  }
  return map;
}

export const PREDICATES: ReadonlyMap<string, Predicate<unknown, string>> = registry(
  ROOT_PREDICATES,
  MOUNT_PREDICATES,
  NS_PREDICATES,
  PROC_PREDICATES,
  FILE_PREDICATES,
  NET_PREDICATES,
  // The curriculum's: hostnames, user ids, capabilities, overlays and read-only mounts, programs.
  UTS_PREDICATES,
  USER_PREDICATES,
  CAPS_PREDICATES,
  OVERLAY_PREDICATES,
  PROGRAM_PREDICATES,
  JOINED_PREDICATES,
);

/** Every code a predicate can return, 'pass' and the common ones included (for `wrong[].expect`). */
export function verdictCodes(p: Predicate<unknown, string>): readonly string[] {
  return ['pass', ...p.codes, ...COMMON_CODES];
}

/** One memoized view per check run; resolves subjects to confirmed lab pids. */
export function kernelView(stage: Stage): KernelView {
  return new KernelView(new LiveSource(worldOf(stage)));
}

/**
 * Runs one predicate; a predicate that throws has not passed (code 'error', with the reason),
 * so one broken read never takes the other checks down.
 */
export async function evaluate(view: KernelView, name: string, params: unknown): Promise<Verdict> {
  const p = PREDICATES.get(name);
  if (!p) return { code: 'error', facts: { why: `no predicate is named ${name}` } };
  // Parsed again here (the loader already validated): defaults apply whoever calls.
  const parsed = p.params.safeParse(params);
  if (!parsed.success) return { code: 'error', facts: { why: `bad parameters for ${name}: ${parsed.error.issues.map((i) => i.message).join('; ')}` } };
  try {
    return await p.evaluate(view, parsed.data);
  } catch (e) {
    return { code: 'error', facts: { why: (e as Error).message } };
  }
}

/** The student's sentences for one verdict: what the step wants, what the kernel shows. */
export function explain(name: string, params: unknown, verdict: Verdict): { expected: string; found: string } {
  const parsed = PREDICATES.get(name)?.params.safeParse(params);
  return message(name, parsed?.success ? parsed.data : params, verdict);
}
