/**
 * The shapes of the predicate library (docs/lab-format.md, "Predicates"): a predicate is a
 * named, schema-checked question about the kernel; its answer is a verdict code plus facts.
 * The sentence a student reads is built from them in messages.ts, never here.
 */
import { z } from 'zod';
import type { KernelView } from './view.ts';

export type FactValue = string | number | boolean | readonly string[];
export type Facts = Readonly<Record<string, FactValue>>;

export interface Verdict<Code extends string = string> {
  /** 'pass', or one of the failure codes the predicate declares (plus 'gone' and 'error'). */
  readonly code: 'pass' | Code | CommonCode;
  readonly facts: Facts;
}

/** Codes every predicate may return: a subject that has exited, a check that could not run. */
export const COMMON_CODES = ['gone', 'error'] as const;
export type CommonCode = (typeof COMMON_CODES)[number];

export interface Predicate<P, Code extends string> {
  /** 'mount.pivoted': area, dot, concept. */
  readonly name: string;
  /** Validated when the lab loads, so a misspelt parameter is a load error. */
  readonly params: z.ZodType<P>;
  /** Every failure code it can return besides 'gone' and 'error'. */
  readonly codes: readonly Code[];
  evaluate(view: KernelView, params: P): Verdict<Code> | Promise<Verdict<Code>>;
}

/** Any predicate, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPredicate = Predicate<any, string>;

/** Declares a predicate with its parameter and code types inferred from the definition. */
export function predicate<S extends z.ZodType, const Code extends string>(def: {
  name: string;
  params: S;
  codes: readonly Code[];
  evaluate(view: KernelView, params: z.output<S>): Verdict<Code> | Promise<Verdict<Code>>;
}): Predicate<z.output<S>, Code> {
  return def as Predicate<z.output<S>, Code>;
}

// ---------------------------------------------------------------------------------------------
// Parameters shared by many predicates.

/**
 * Who must hold the state (docs/lab-format.md, "Subjects"): a role, never a number. `host` and
 * `container` are the panes' foreground processes; `lab-host` is the lab host's init.
 */
export const ROLES = ['container', 'host', 'lab-host', 'container-init'] as const;
export type Role = (typeof ROLES)[number];
export type Subject = Role | `planted:${string}`;

export const subject = z.union([
  z.enum(ROLES),
  z.custom<`planted:${string}`>((v) => typeof v === 'string' && /^planted:[a-z0-9][a-z0-9-]*$/.test(v), {
    message: 'must be container, host, lab-host, container-init or planted:<name>',
  }),
]);

/** An absolute path; may name $ROOTFS. */
export const absPath = z.string().regex(/^(\/|\$ROOTFS)/, 'must be an absolute path (or start with $ROOTFS)');

/** Namespaces by the names unshare(1) gives them (the lab's start block uses the same). */
export const NAMESPACES = ['mount', 'pid', 'net', 'uts', 'ipc', 'cgroup', 'user'] as const;
export const namespaceName = z.enum(NAMESPACES);
export type NamespaceName = (typeof NAMESPACES)[number];

/** The verdict for a subject that has no process (any more). */
export function gone(who: Subject): Verdict<never> {
  return { code: 'gone', facts: { subject: who } };
}

/** The verdict for a check that could not read what it needs. */
export function error(why: string): Verdict<never> {
  return { code: 'error', facts: { why } };
}
