#!/usr/bin/env -S node --max-semi-space-size=1
// nslab's entry point: run the bundle in dist/ (scripts/bundle.mjs).
//
// An installed package (`npm pack` ran `prepack`) ships dist/ marked PACKED and runs it as it
// is: no source is looked at, esbuild is not needed. A clone rebuilds dist/ first when a
// source file is newer; where dist/ cannot be written (a read-only checkout), it runs the
// sources through tsx instead: slower to start, same program.
//
// --max-semi-space-size=1 (MiB): V8's young generation grows to 32 MiB by default while
// output floods a pane; nslab's allocations are short-lived strings, and a 1 MiB semi-space
// costs no measurable time but ~30 MiB of resident memory (measured after `seq 1 2000000`).
import { appendFileSync, existsSync } from 'node:fs';

// NSLAB_TRACE (src/trace.ts): when Node's own start-up ended, and when the bundle's began.
const mark = (what) => process.env.NSLAB_TRACE && appendFileSync(process.env.NSLAB_TRACE, `${(performance.timeOrigin + performance.now()).toFixed(1)} ${what}\n`);
mark('bin');

const packed = new URL('../dist/PACKED', import.meta.url);
let entry = new URL('../dist/cli.js', import.meta.url).href;
if (!existsSync(packed)) {
  const { ensureBundle } = await import('../scripts/bundle.mjs');
  try {
    entry = await ensureBundle();
  } catch (error) {
    if (!['EACCES', 'EROFS', 'EPERM'].includes(error?.code)) throw error;
    const { register } = await import('tsx/esm/api');
    register();
    entry = new URL('../src/cli.ts', import.meta.url).href;
  }
}
mark('bin-import');
await import(entry);
