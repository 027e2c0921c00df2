/**
 * The seeded fuzz of the lab list, the playground and a lab (issue 9): 60 s here, longer with
 * `npm run fuzz -- --minutes 10`. NSLAB_FUZZ_SEED replays a run; the seed is printed on failure.
 */
import { expect, it } from 'vitest';
import { guardRealMachine } from './support/host.ts';
import { fuzz } from './support/fuzz.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

const seed = Number(process.env.NSLAB_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const seconds = Number(process.env.NSLAB_FUZZ_SECONDS ?? 60);

it(`random input never crashes, hangs or shows a stack trace (seed ${seed})`, async () => {
  const { chunks, problem } = await fuzz(seed, seconds * 1000);
  console.log(`fuzz: seed ${seed}, ${chunks} chunks in ${seconds} s`);
  expect(problem, problem ?? '').toBeNull();
}, (seconds + 150) * 1000);
