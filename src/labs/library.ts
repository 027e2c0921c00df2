/**
 * The seam between the lab loader and the predicate library (docs/lab-format.md, "The seam").
 * Everything src/labs needs from src/check passes through here, so the loader, the runner and
 * verify name one `Library` and tests can hand them a small one of their own.
 */
import { explain, kernelView, PREDICATES, type KernelView, type Predicate, type Verdict } from '../check/index.ts';
import type { Stage } from '../world/stage.ts';

export type { KernelView, Predicate, Verdict };

/**
 * A predicate as a lab sees it. The library's own sentences live in src/check/messages.ts; a
 * lab's checks.ts cannot add to that file, so its predicates bring their own `explain`.
 */
export interface LabPredicate<P = unknown, Code extends string = string> extends Predicate<P, Code> {
  explain?(params: P, verdict: Verdict<Code>): { expected: string; found: string };
}

export interface Library {
  readonly PREDICATES: ReadonlyMap<string, Predicate<unknown, string>>;
  kernelView(stage: Stage): KernelView;
  explain(name: string, params: unknown, verdict: Verdict): { expected: string; found: string };
}

export const LIBRARY: Library = { PREDICATES, kernelView, explain };
