#!/usr/bin/env node
// npm run fuzz -- [--minutes N] [--seed S]: the fuzz test of test/fuzz.test.ts, for longer.
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const value = (flag) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const minutes = Number(value('--minutes') ?? 1);
if (!(minutes > 0)) {
  console.error('usage: npm run fuzz -- [--minutes N] [--seed S]');
  process.exit(2);
}
const env = { ...process.env, NSLAB_FUZZ_SECONDS: String(Math.round(minutes * 60)) };
if (value('--seed') !== undefined) env.NSLAB_FUZZ_SEED = value('--seed');
const run = spawnSync('npx', ['vitest', 'run', 'test/fuzz.test.ts'], { stdio: 'inherit', env });
process.exit(run.status ?? 1);
