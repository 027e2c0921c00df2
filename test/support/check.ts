/** Driving predicates against real lab worlds: a stage in a starting state, a verdict per call. */
import { evaluate, explain, kernelView } from '../../src/check/index.ts';
import { typeCommand } from '../../src/labs/runner.ts';
import { Stage, screenText, type StageSpec } from '../../src/world/stage.ts';
import { testRootfsTar } from './rootfs.ts';

export { typeCommand, screenText };

export async function openStage(spec: StageSpec): Promise<Stage> {
  const stage = await Stage.open(spec, await testRootfsTar(), { cols: 120, rows: 40 });
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
  return stage;
}

/** One predicate on a fresh view (a new check run); the code, with the sentence for failures. */
export async function verdict(stage: Stage, name: string, params: Record<string, unknown>): Promise<{ code: string; found: string }> {
  const v = await evaluate(kernelView(stage), name, params);
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
