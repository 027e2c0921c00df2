/**
 * Every predicate on recorded kernel states (test/fixtures/check, recorded from real lab worlds
 * by the *-live tests with NSLAB_RECORD_FIXTURES=1): the same verdict, code and facts, from the
 * recording alone; and every code a predicate declares has a sentence.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate, explain, KernelView, PREDICATES, verdictCodes } from '../../src/check/index.ts';
import { WORDED } from '../../src/check/messages.ts';
import { fromJson, ReplaySource, type Recording } from '../../src/check/recorded.ts';
import { FIXTURES } from '../support/check.ts';

interface Fixture {
  predicate: string;
  params: Record<string, unknown>;
  code: string;
  facts: Record<string, unknown>;
  recording: Recording;
}

const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort();

describe('predicates on recorded lab worlds', () => {
  it('has recordings of every predicate the labs use most', () => {
    const names = new Set(files.map((f) => fromJson<Fixture>(readFileSync(new URL(f, FIXTURES), 'utf8')).predicate));
    for (const name of ['mount.pivoted', 'mount.oldRootDetached', 'mount.propagated', 'mount.propagation', 'net.pinged', 'veth.pair', 'proc.killedBy', 'file.has', 'proc.ownPidNamespace']) {
      expect(names, name).toContain(name);
    }
  });

  for (const file of files) {
    it(file, async () => {
      const f = fromJson<Fixture>(readFileSync(new URL(file, FIXTURES), 'utf8'));
      const v = await evaluate(new KernelView(new ReplaySource(f.recording)), f.predicate, f.params);
      expect(v.code).toBe(f.code);
      expect(JSON.parse(JSON.stringify(v.facts))).toEqual(f.facts);
      expect(explain(f.predicate, f.params, v).found).not.toMatch(/undefined|\[object/);
    });
  }
});

describe('the registry', () => {
  it('has a sentence for every code of every predicate, and no stray wording', () => {
    for (const [name, p] of PREDICATES) {
      const wording = WORDED[name];
      expect(wording, name).toBeDefined();
      for (const code of verdictCodes(p).filter((c) => c !== 'gone' && c !== 'error')) expect(wording!.found[code], `${name} ${code}`).toBeDefined();
      for (const code of Object.keys(wording!.found)) expect(verdictCodes(p), `${name} words ${code}`).toContain(code);
    }
    expect(Object.keys(WORDED).sort()).toEqual([...PREDICATES.keys()].sort());
  });

  it('refuses a misspelt parameter when validating', () => {
    expect(PREDICATES.get('mount.pivoted')!.params.safeParse({ subjct: 'container' }).success).toBe(false);
    expect(PREDICATES.get('mount.at')!.params.safeParse({ subject: 'container', path: 'relative' }).success).toBe(false);
    expect(PREDICATES.get('ns.own')!.params.safeParse({ subject: 'planted:vault', ns: 'mount' }).success).toBe(true);
  });
});

describe('the contract', () => {
  it('docs/lab-format.md lists every predicate with every failure code', () => {
    const doc = readFileSync(new URL('../../docs/lab-format.md', import.meta.url), 'utf8');
    for (const [name, p] of PREDICATES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      for (const code of p.codes) expect(row, `${name} ${code}`).toContain(`\`${code}\``);
    }
  });
});
