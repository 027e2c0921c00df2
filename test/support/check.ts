/** Driving predicates against real lab worlds: a stage in a starting state, a verdict per call. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { evaluate, explain, KernelView } from '../../src/check/index.ts';
import { LiveSource, worldOf } from '../../src/check/live.ts';
import { recordingSource, toJson, type Recording } from '../../src/check/recorded.ts';
import { typeCommand } from '../../src/labs/runner.ts';
import { Stage, screenText, type StageSpec } from '../../src/world/stage.ts';
import { testRootfsTar } from './rootfs.ts';

export { typeCommand, screenText };

export async function openStage(spec: StageSpec): Promise<Stage> {
  const stage = await Stage.open(spec, await testRootfsTar(), { cols: 120, rows: 40 });
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
  return stage;
}

/** Where `NSLAB_RECORD_FIXTURES=1 npx vitest run test/check/*-live.test.ts` writes recordings. */
export const FIXTURES = new URL('../fixtures/check/', import.meta.url);

/**
 * One predicate on a fresh view (a new check run); the code, with the sentence for failures.
 * With a `fixture` name and NSLAB_RECORD_FIXTURES=1, what the kernel answered is recorded into
 * test/fixtures/check/<fixture>.json for the replay tests.
 */
export async function verdict(stage: Stage, name: string, params: Record<string, unknown>, fixture?: string): Promise<{ code: string; found: string }> {
  const recording: Recording = {};
  const live = new LiveSource(worldOf(stage));
  const record = fixture !== undefined && process.env.NSLAB_RECORD_FIXTURES === '1';
  const v = await evaluate(new KernelView(record ? recordingSource(live, recording) : live), name, params);
  if (record) {
    mkdirSync(FIXTURES, { recursive: true });
    writeFileSync(new URL(`${fixture}.json`, FIXTURES), `${toJson({ predicate: name, params, code: v.code, facts: v.facts, recording })}\n`);
  }
  return { code: v.code, found: explain(name, params, v).found };
}

/** Types lines into a pane, one after the other. */
export async function type(stage: Stage, pane: 'host' | 'container', ...lines: string[]): Promise<void> {
  for (const line of lines) await typeCommand(stage[pane], line);
}

export const PIVOT_START: StageSpec = {
  container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'], root: 'none', proc: false, hostname: 'container' },
};
export const CHROOT_START: StageSpec = { container: { namespaces: [], root: 'chroot', proc: false } };

export const VETH_START: StageSpec = {
  container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'], root: 'pivot', proc: true, hostname: 'container' },
};
