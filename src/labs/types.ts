/**
 * What a lab is once loaded: the lab.md of docs/lab-format.md, validated, with each check's
 * predicate resolved and its parameters parsed. src/labs/load.ts builds it; nothing else does.
 */
import type { StageSpec } from '../world/stage.ts';
import type { LabPredicate } from './library.ts';

export type PaneName = 'host' | 'container';

/** One command the reference solution types into a pane, then waits for the pane to settle. */
export interface SolutionLine {
  readonly pane: PaneName;
  readonly command: string;
  /** Extra time to wait after the pane went quiet (a ping, a slow command). */
  readonly waitMs?: number;
}

/** A check: a named predicate of the library (or of the lab's checks.ts) with its parameters. */
export interface PredicateCheck {
  readonly id: string;
  readonly title: string;
  readonly predicate: LabPredicate;
  /** `with:` as the predicate's schema parsed it. */
  readonly params: unknown;
  /**
   * What the machine must have for this check to run (`requires:` of the check); where it lacks
   * it, the check is skipped with the reason ("not checked: ..."), never passed or failed.
   */
  readonly requires?: readonly string[];
}

export type Check = PredicateCheck;

/** A declared wrong attempt: typed after the earlier steps, each named check must give its code. */
export interface WrongAttempt {
  readonly name: string;
  readonly run: readonly SolutionLine[];
  /** check id -> a verdict code of its predicate, `pass`, or `fail` (any code but pass). */
  readonly expect: Readonly<Record<string, string>>;
}

export interface Step {
  readonly id: string;
  readonly title: string;
  /** The goal, Markdown prose; may name $ROOTFS and $CPID. */
  readonly goal: string;
  /** Progressive hints, vaguest first. */
  readonly hints: readonly string[];
  readonly solution: readonly SolutionLine[];
  readonly checks: readonly Check[];
  readonly wrong: readonly WrongAttempt[];
}

export interface Lab {
  readonly id: string;
  readonly title: string;
  /** What you will learn, one or two sentences for the lab list. */
  readonly summary: string;
  /** Which tutorial(s) in shared/seeds it follows, for instructors. */
  readonly source?: string;
  /** Capabilities of the machine the lab needs (e.g. `cgroup`). */
  readonly requires: readonly string[];
  /** The starting state: the container's namespaces and root, plus a setup script. */
  readonly start: StageSpec;
  /** Prose shown above step 1 (may be empty). */
  readonly intro: string;
  readonly steps: readonly Step[];
  /** Where it came from, for messages and reports. */
  readonly origin: LabOrigin;
}

export interface LabOrigin {
  /** The lab's file as messages name it (`labs/03-pivot-root/lab.md`). */
  readonly file: string;
  /** true: shipped with nslab; false: from `--labs DIR`. */
  readonly builtIn: boolean;
  /** The language of the prose: `en`, or the tag of the lab.<lang>.md used. */
  readonly language: string;
}
