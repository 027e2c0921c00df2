/**
 * The pivot-root lab accepts the seeds' own spellings, not only its reference solution. Seed
 * 001: `mount --make-rprivate /` first, `oldroot` for the old root, and `umount -a` before
 * `umount -l /oldroot`. Seed 002: `pivot_root . .` (the old root stacked on top of the new one at
 * /, pivot_root(2) NOTES) and, after `mount -t proc`, `umount -l /`, which detaches the topmost
 * mount at / (the old root) and leaves the rootfs underneath. Every check of the pivot, proc and
 * detach steps must be green after each; and the near-miss of each (the old root never
 * detached) must leave exactly the detach check red.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { builtInLab, openLab, outcomes, typeCommand } from '../support/lab.ts';
import { guardRealMachine } from '../support/host.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

const SEED_001 = ['mount --make-rprivate /', 'mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mkdir -p oldroot', 'pivot_root . oldroot', 'cd /', 'umount -a', 'mount -t proc proc /proc', 'umount -l /oldroot'];
/** Seed 002 as typed there: a proc first, a bind onto another directory, umount -a, then umount -l /. */
const SEED_002 = ['mount -t proc proc /proc', 'mkdir /newroot', 'mount --bind $ROOTFS /newroot', 'cd /', 'cd newroot/', 'pivot_root . .', 'cd /', 'mount -t proc proc /proc', 'umount -a', 'umount -l /'];
/** The same with the lab's own bind of $ROOTFS onto itself. */
const SEED_002_SELF = ['mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'pivot_root . .', 'cd /', 'mount -t proc proc /proc', 'umount -l /'];
const without = (lines: readonly string[], last: string) => lines.filter((l) => l !== last);

let stage: Stage | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

const STEPS = ['pivot', 'proc', 'detach-old-root'];

async function typedThenChecked(lines: readonly string[]): Promise<string[]> {
  const lab = await builtInLab('pivot-root');
  stage = await openLab(lab);
  for (const line of lines) await typeCommand(stage.container, line);
  const got: string[] = [];
  for (const stepId of STEPS) {
    for (const [id, o] of Object.entries(await outcomes(lab, stepId, stage))) got.push(`${stepId}/${id}: ${o.code}${o.pass ? '' : ` (${o.found})`}`);
  }
  return got;
}

const allGreen = ['pivot/root-is-rootfs: pass', 'pivot/pivoted: pass', 'proc/own-proc: pass', 'detach-old-root/old-root-detached: pass'];

describe('pivot-root: the seeds\' alternatives', () => {
  for (const [name, lines] of [
    ['seed 001 (rprivate, oldroot, umount -a, umount -l /oldroot)', SEED_001],
    ['seed 002 (proc first, bind onto /newroot, pivot_root . ., umount -a, umount -l /)', SEED_002],
    ['seed 002 with $ROOTFS bound onto itself (pivot_root . ., umount -l /)', SEED_002_SELF],
  ] as const) {
    it(`${name}: every check green`, async () => {
      expect(await typedThenChecked(lines)).toEqual(allGreen);
    }, 120_000);
  }

  for (const [name, lines] of [
    ['seed 001 without umount -l /oldroot', without(SEED_001, 'umount -l /oldroot')],
    ['seed 002 without umount -l / (the old root stays stacked on /)', without(SEED_002_SELF, 'umount -l /')],
  ] as const) {
    it(`${name}: only the old root's check red, attached`, async () => {
      const got = await typedThenChecked(lines);
      expect(got.slice(0, 3)).toEqual(allGreen.slice(0, 3));
      expect(got[3]).toMatch(/^detach-old-root\/old-root-detached: attached \(/);
    }, 120_000);
  }
});
