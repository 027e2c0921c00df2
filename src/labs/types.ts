/**
 * What a lab is. Each file in labs/ default-exports one `Lab`; src/labs/schema.ts validates it
 * when it is loaded, so a broken lab is reported by file, step and field.
 */
import type { StageSpec } from '../world/stage.ts';
import type { CheckContext } from './context.ts';

export type PaneName = 'host' | 'container';

/** One command the reference solution types into a pane, then waits for the pane to settle. */
export interface SolutionLine {
  readonly pane: PaneName;
  readonly command: string;
  /** Extra time to wait after the pane went quiet (a ping, a slow command). */
  readonly waitMs?: number;
}

export interface CheckResult {
  readonly pass: boolean;
  /** What the step wants, in the student's words ("the container's root is the rootfs"). */
  readonly expected: string;
  /** What the kernel shows now ("/old_root is still mounted in the container"). */
  readonly found: string;
}

/**
 * A check reads kernel state — namespaces, roots, mountinfo, net counters, processes —
 * never what was typed. It should take milliseconds.
 */
export interface Check {
  readonly id: string;
  readonly title: string;
  readonly run: (ctx: CheckContext) => CheckResult | Promise<CheckResult>;
}

export interface Step {
  readonly id: string;
  readonly title: string;
  /** The goal, a few sentences; may name $ROOTFS and $CPID. */
  readonly goal: string;
  /** Progressive hints, vaguest first. */
  readonly hints: readonly string[];
  readonly solution: readonly SolutionLine[];
  readonly checks: readonly Check[];
}

export interface Lab {
  readonly id: string;
  readonly title: string;
  /** What you will learn, one or two sentences for the lab list. */
  readonly summary: string;
  /** Which tutorial(s) in shared/seeds it follows, for instructors. */
  readonly source?: string;
  /** The starting state: the container's namespaces and root, plus a setup script. */
  readonly start: StageSpec;
  readonly steps: readonly Step[];
}
