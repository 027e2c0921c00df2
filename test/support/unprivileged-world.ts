/**
 * Run by test/world-unprivileged.test.ts as an ordinary user (uid 65534): starts a lab world,
 * probes it, and prints what it found as JSON.
 */
import { LabWorld } from '../../src/world/world.ts';

const world = await LabWorld.start({ rootfsTar: process.argv[2]! });
const probe = await world.exec('id -u; hostname; touch /usr/nslab-x 2>&1; mount -o remount,rw /usr 2>&1; echo done');
const pids = { anchor: world.anchorPid, labHost: world.labHostPid };
await world.stop();
process.stdout.write(JSON.stringify({ uid: process.getuid!(), identity: world.identity, probe, pids }) + '\n');
