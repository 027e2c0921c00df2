/**
 * The container's title says where its root is, read from the kernel: the lab host's /,
 * $ROOTFS by chroot, $ROOTFS by pivot_root — on real lab worlds, including a chroot typed in a
 * shell of its own mount namespace (its parent shell keeps the namespace's root).
 */
import { afterAll, expect, it } from 'vitest';
import { paneTitle, rootPlace, titleLines } from '../src/session/pane-title.ts';
import { Stage, type ContainerSpec } from '../src/world/stage.ts';
import { eventually, guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';
import { typeCommand } from './support/lab.ts';

guardRealMachine(testRootfsTar);
const stages: Stage[] = [];
afterAll(async () => {
  for (const stage of stages) await stage.close();
});

async function open(container: ContainerSpec): Promise<Stage> {
  const stage = await Stage.open({ container }, await testRootfsTar(), { cols: 80, rows: 24 });
  stages.push(stage);
  return stage;
}
const place = (stage: Stage) => rootPlace(stage.container.foregroundPid()!, stage.labHostPid);

it('tells the lab host\'s /, a chroot and a pivot_root apart', async () => {
  const none = await open({ namespaces: ['mount'], root: 'none', proc: false });
  expect(place(none)).toBe('lab-host');
  expect(rootPlace(none.host.foregroundPid()!, none.labHostPid)).toBe('lab-host');
  expect(place(await open({ namespaces: [], root: 'chroot', proc: false }))).toBe('chroot');
  expect(place(await open({ namespaces: ['mount', 'pid'], root: 'pivot', proc: true }))).toBe('pivot');

  // A student's chroot in a shell of its own mount namespace: still a chroot.
  await typeCommand(none.container, 'chroot $ROOTFS /bin/sh');
  expect(await eventually(() => place(none) === 'chroot', 3000)).toBe(true);
});

it('fits the two title lines into a pane at 100 columns', async () => {
  const stage = stages[2]!;
  const title = paneTitle(stage.container.foregroundPid()!, stage.labHostPid)!;
  const [first, second] = titleLines('container', true, title, false, 50);
  expect(first).toMatch(/^▶ container · \S+ · root: \$ROOTFS \(pivot_root\)$/);
  expect(second).toMatch(/^ {2}own: mnt pid/);
  for (const line of [first, second]) expect(line.length).toBeLessThanOrEqual(50);
  const long = titleLines('container', false, { ...title, command: 'a-very-long-program-name' }, false, 50);
  expect(long[0]).toContain('root: $ROOTFS (pivot_root)');
  expect(long[0].length).toBeLessThanOrEqual(50);
});
