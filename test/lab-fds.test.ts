/**
 * No lab process inherits a file descriptor from nslab: not the other pane's PTY master, not a
 * pipe or file that nslab itself inherited from whatever started it.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

it('lab processes hold only their stdio (and bash its own tty copy)', async () => {
  // fds 3 and 4 are inheritable pipes in the owner process, as a launching shell might leave.
  const owner = spawn(process.execPath, ['--import', 'tsx', 'test/support/fd-report.ts', await testRootfsTar()], {
    stdio: ['ignore', 'pipe', 'inherit', 'pipe', 'pipe'],
  });
  let out = '';
  owner.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await new Promise((resolve) => owner.once('close', resolve));
  const report = JSON.parse(out) as Record<string, string[]>;
  expect(Object.keys(report).length).toBeGreaterThanOrEqual(8);
  for (const [process, fds] of Object.entries(report)) {
    // The anchor (util-linux unshare, in the real pid namespace, out of the lab's sight) keeps
    // the read-only fd through which its child, level 1, executed nslab-init (init-binary.ts).
    const anchorsInit = (fd: string) => process.endsWith('/unshare') && /^3 -> \/.*\/nslab-init-[0-9a-f]+$/.test(fd);
    const unexpected = fds.filter((fd) => !(process.endsWith('/bash') && /^255 -> \/dev\/pts\/\d+$/.test(fd)) && !anchorsInit(fd));
    expect(unexpected, process).toEqual([]);
  }
});
