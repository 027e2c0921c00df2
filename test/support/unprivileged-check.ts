/**
 * Run by test/check/unprivileged.test.ts as an ordinary user (uid 65534): opens a stage, pivots
 * the container and plugs a veth in, and prints the predicates' verdicts as JSON. An ordinary
 * owner reads the lab's mount trees (listmount of another namespace needs CAP_SYS_ADMIN over its
 * user namespace, which the owner has) and runs nslab's ip through the lab's user namespace.
 */
import { evaluate, kernelView } from '../../src/check/index.ts';
import { typeCommand } from '../../src/labs/runner.ts';
import { Stage } from '../../src/world/stage.ts';

const stage = await Stage.open(
  { container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'], root: 'none', proc: false } },
  process.argv[2]!,
  { cols: 120, rows: 40 },
);
const codes: Record<string, string> = {};
try {
  await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
  const ask = async (label: string, name: string, params: Record<string, unknown>) => {
    const v = await evaluate(kernelView(stage), name, params);
    codes[label] = v.code === 'error' ? `error: ${String(v.facts.why)}` : v.code;
  };
  await ask('pivoted-before', 'mount.pivoted', { subject: 'container' });
  for (const line of ['mount --bind $ROOTFS $ROOTFS', 'cd $ROOTFS', 'mount -t proc proc proc', 'pivot_root . .', 'umount -l .', 'cd /']) await typeCommand(stage.container, line);
  await ask('pivoted', 'mount.pivoted', { subject: 'container' });
  await ask('detached', 'mount.oldRootDetached', { subject: 'container' });
  for (const line of ['ip link add name h0 type veth peer name c0', 'ip link set c0 netns $CPID']) await typeCommand(stage.host, line);
  await ask('pair', 'veth.pair', { subject: 'container-init', peerIn: 'lab-host' });
  await typeCommand(stage.host, 'mkdir -p /mnt/x && mount -t tmpfs x /mnt/x');
  await ask('propagated', 'mount.propagated', { from: 'host', to: 'container', path: '/mnt/x', arrives: false });
} finally {
  await stage.close();
}
process.stdout.write(JSON.stringify({ uid: process.getuid!(), codes }) + '\n');
