/**
 * Run by test/lab-fds.test.ts with extra inheritable fds: opens a stage and prints, as JSON,
 * every fd beyond stdio that any lab process holds.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { PLAYGROUND, Stage } from '../../src/world/stage.ts';
import { descendantsOf } from '../../src/world/pids.ts';

const stage = await Stage.open(PLAYGROUND, process.argv[2]!, { cols: 80, rows: 24 });
await Promise.all([stage.host.settled(2000), stage.container.settled(2000)]);
const report: Record<string, string[]> = {};
for (const root of [stage.world.anchorPid, stage.host.pid, stage.container.pid]) {
  for (const pid of [root, ...descendantsOf(root)]) {
    const exe = readlinkSync(`/proc/${pid}/exe`);
    const fds = readdirSync(`/proc/${pid}/fd`).filter((fd) => Number(fd) > 2);
    report[`${pid} ${exe}`] = fds.map((fd) => `${fd} -> ${readlinkSync(`/proc/${pid}/fd/${fd}`)}`);
  }
}
await stage.close();
process.stdout.write(JSON.stringify(report) + '\n');
process.exit(0);
