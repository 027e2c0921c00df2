/**
 * The seam between the lab loader and the predicate library (docs/lab-format.md, "The seam").
 * Everything src/labs needs from src/check passes through here, so the loader, the runner and
 * verify name one `Library` and tests can hand them a small one of their own.
 *
 * The types mirror the contract's; LIBRARY is src/check/index.ts itself.
 */
import type { z } from 'zod';
import type { Stage } from '../world/stage.ts';
import { PREDICATES, explain, kernelView } from '../check/index.ts';

export interface Verdict<Code extends string = string> {
  readonly code: 'pass' | Code;
  readonly facts: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

/** One memoized view of the kernel per check run (src/check owns its shape). */
export type KernelView = object;

export interface Predicate<P = unknown, Code extends string = string> {
  readonly name: string;
  readonly params: z.ZodType<P>;
  readonly codes: readonly Code[];
  evaluate(view: KernelView, params: P): Verdict<Code> | Promise<Verdict<Code>>;
}

/**
 * A predicate as a lab sees it. The library's own sentences live in src/check/messages.ts; a
 * lab's checks.ts cannot add to that file, so its predicates bring their own `explain`.
 */
export interface LabPredicate<P = unknown, Code extends string = string> extends Predicate<P, Code> {
  explain?(params: P, verdict: Verdict<Code>): { expected: string; found: string };
}

export interface Library {
  readonly PREDICATES: ReadonlyMap<string, Predicate>;
  kernelView(stage: Stage): KernelView;
  explain(name: string, params: unknown, verdict: Verdict): { expected: string; found: string };
}

export const LIBRARY: Library = { PREDICATES, kernelView, explain };
