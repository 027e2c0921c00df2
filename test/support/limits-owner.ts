/**
 * Run by test/limits.test.ts: a process that owns lab worlds and then leaves in the way the
 * test asks, so the test can check what is left behind.
 *   argv: ROOTFS_TAR MODE      MODE: wait | crash | restart
 * Prints one JSON line {"dirs": [...], "anchor": N} once a world is up ("starting" first).
 */
import { LabWorld } from '../../src/world/world.ts';

const [rootfsTar, mode] = process.argv.slice(2) as [string, string];
process.stdout.write('starting\n');
let world = await LabWorld.start({ rootfsTar });
process.stdout.write(JSON.stringify({ dirs: [...world.limits.dirs.values()], anchor: world.anchorPid, uid: world.identity.uid }) + '\n');
if (mode === 'crash') throw new Error('a crash of the owner, on purpose');
if (mode === 'restart') {
  // A reset, over and over: the test kills the owner somewhere in the middle of one.
  for (;;) {
    await world.stop();
    world = await LabWorld.start({ rootfsTar });
  }
}
setInterval(() => {}, 1000);
