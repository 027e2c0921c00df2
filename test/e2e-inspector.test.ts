/**
 * The live inspector through the real TUI: a shell that runs `unshare --net bash` shows up in a
 * new net namespace group, and a veth pair made in the host pane and moved into the container
 * is drawn across the two namespaces, read from the kernel, not from what was typed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { AppUnderTest } from './support/app.ts';
import { eventually, guardRealMachine, leftoverProcesses } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);
let app: AppUnderTest;

beforeAll(() => {
  app = new AppUnderTest(['play']);
});
afterAll(async () => {
  app.kill();
  await eventually(() => leftoverProcesses().length === 0);
});

it('opens over the pane that is not focused, with the namespaces grouped per type', async () => {
  await app.waitFor((s) => s.includes('root@host:~#') && s.includes('root@container:/#'), 'both prompts', 40_000);
  app.type('\x07i');
  await app.waitFor(() => app.half('left').includes('◆ inspector [namespaces]'), 'the inspector over the host pane');
  // The container's shell has a net namespace of its own; the lab host's processes share one.
  await app.waitFor(() => /net\s+\d+ host: .*bash/.test(app.half('left')) && /net\s+\d+ own: .*bash/.test(app.half('left')), 'two net groups');
  await app.waitFor(() => app.half('right').includes('root@container:/#'), 'the focused pane still drawn beside it');
});

it('shows a shell moving into a new net namespace after `unshare --net bash`', async () => {
  const netRows = () => app.half('left').split('\n').filter((l) => /│net\s/.test(l));
  const before = netRows().length;
  app.type('unshare --net bash\r');
  await app.waitFor(() => /net\s+\+ \d+ new: bash \d+/.test(app.half('left')), 'a new net group holding the new bash');
  expect(netRows().length).toBe(before + 1);
  // Only the net namespace is new: its uts group is still the container's.
  expect(app.half('left')).not.toMatch(/uts\s+\+/);
  app.type('exit\r');
});

it('draws a veth pair across two namespaces in the network view', async () => {
  app.type('\x07\t'); // focus the host pane: the inspector moves over the container pane
  await app.waitFor(() => app.half('right').includes('◆ inspector') && app.half('left').includes('root@host'), 'the inspector on the right');
  app.type('ip link add name hv type veth peer name cv && ip link set cv netns $CPID && ip link set hv up\r');
  app.type('\x07i\x07i'); // namespaces → mounts → network
  await app.waitFor(() => app.half('right').includes('[network]'), 'the network view');
  await app.waitFor(() => /hv \[host \d+\] ══ cv \[\d+\]/.test(app.half('right')), 'the pair drawn across namespaces');
  await app.waitFor(() => /● hv veth up, no carrier ⇄ cv in \d+/.test(app.half('right')), 'hv up, its peer down');
  const right = app.half('right');
  expect(right).toMatch(/○ cv veth down ⇄ hv in host \d+/);
  // The far end sits in the container's namespace: the one its first process is in.
  const cvNs = /cv \[(\d+)\]/.exec(right)![1];
  expect(right).toMatch(new RegExp(`net ${cvNs}\\s+\\(unshare`));
});

it('shows the mount tree of the focused process and marks a new mount', async () => {
  app.type('\x07i'); // network → closed
  await app.waitFor(() => !app.screen().includes('◆ inspector'), 'the inspector closed');
  app.type('\x07i\x07i'); // namespaces → mounts
  await app.waitFor(() => app.half('right').includes('[mounts]') && app.half('right').includes('/proc'), 'the mount tree of the host shell');
  app.type('mkdir -p /tmp/m && mount -t tmpfs nslab-test /tmp/m\r');
  await app.waitFor(() => /\+.*└ \/tmp\/m\s+tmpfs nslab-test\s+private/.test(app.half('right')), 'the new mount marked');
  app.type('\x07q');
  expect(await app.exited).toBe(0);
});
