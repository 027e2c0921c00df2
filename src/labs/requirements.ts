/**
 * What a lab may require of the machine (`requires:` in lab.md) and whether this machine has it.
 * A lab whose requirement is unmet is listed as unavailable with the reason and what would
 * enable it; it is never started (a check could only pass vacuously or crash).
 */
import { cgroupDelegation } from '../world/limits.ts';

export const REQUIREMENTS = ['cgroup'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export interface Unmet {
  readonly requirement: Requirement;
  readonly reason: string;
  readonly enable: string;
}

export function unmet(requires: readonly string[]): Unmet[] {
  const out: Unmet[] = [];
  for (const r of requires) {
    if (r === 'cgroup') {
      const d = cgroupDelegation();
      if (!d.available) {
        out.push({
          requirement: 'cgroup',
          reason: `a cgroup cannot be delegated to the lab: ${d.reason}`,
          enable: 'start nslab as root on a machine with the pids and memory controllers (cgroup v1 hierarchies, or cgroup v2 with both enabled at its root)',
        });
      }
    }
  }
  return out;
}

/**
 * For a check that `requires:` something the machine lacks: the finding in its place, "not
 * checked: <reason>; to enable it, <what would>"; null when the check can run here. Such a check
 * is reported as skipped: it neither passes nor fails (a lab, a grade or a step does not wait for
 * it, and nothing reports it as held).
 */
export function notChecked(requires: readonly string[] | undefined): string | null {
  const u = unmet(requires ?? []);
  return u.length === 0 ? null : `not checked: ${u.map((x) => `${x.reason}; to enable it, ${x.enable}`).join('; ')}`;
}

/** One line for the lab list, verify and doctor; null when the lab can run here. */
export function unavailableBecause(requires: readonly string[]): string | null {
  const u = unmet(requires);
  return u.length === 0 ? null : u.map((x) => `unavailable: ${x.reason}; to enable it, ${x.enable}`).join('; ');
}
