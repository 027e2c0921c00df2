/**
 * `npm run bench:limits`: what the limits cost (src/world/limits.ts). Interleaved, per round:
 * a world started under this machine's mechanism (cgroup) and one under the rlimit floor;
 * the start, one `world.exec('true')` (every entry first joins the cgroups) and the stop (which
 * waits for the reaper to remove the cgroups). Medians in ms; BENCH_RUNS rounds (default 9).
 */
import { ensureHostRootfs } from '../src/rootfs/build.ts';
import { DEFAULT_LIMITS, limitsPlan, rlimitPlan, WorldLimitsHandle } from '../src/world/limits.ts';
import { LabWorld } from '../src/world/world.ts';
import { median } from './outer.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const tar = (await ensureHostRootfs()).tarPath;
const machine = limitsPlan();
const floor = rlimitPlan('forced for comparison');
const plans = machine.mechanism === 'rlimit' ? [floor] : [machine, floor];

// Once before timing: compiles nslab-init and claims the instance's uid.
await (await LabWorld.start({ rootfsTar: tar })).stop();

const times = new Map<string, number[]>();
const add = (key: string, ms: number) => times.set(key, [...(times.get(key) ?? []), ms]);
for (let round = 0; round < RUNS; round++) {
  for (const plan of plans) {
    let t = performance.now();
    const world = await LabWorld.start({ rootfsTar: tar, limitsPlan: plan });
    add(`${plan.mechanism} start`, performance.now() - t);
    t = performance.now();
    await world.exec('true');
    add(`${plan.mechanism} exec`, performance.now() - t);
    t = performance.now();
    await world.stop();
    add(`${plan.mechanism} stop`, performance.now() - t);
  }
  if (machine.mechanism !== 'rlimit') {
    const t = performance.now();
    const handle = WorldLimitsHandle.create(DEFAULT_LIMITS);
    add(`${machine.mechanism} cgroups made (mkdir, limits, reaper)`, performance.now() - t);
    await handle.remove();
  }
}
process.stdout.write(`limits: ${machine.mechanism}${machine.why ? ` (${machine.why})` : ''}; ${RUNS} rounds, medians\n`);
for (const [key, values] of times) process.stdout.write(`  ${key.padEnd(44)} ${median(values).toFixed(1)} ms\n`);
