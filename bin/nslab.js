#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --max-semi-space-size=1
// nslab's entry point: run the bundle in dist/ (scripts/bundle.mjs).
//
// An installed package (`npm pack` ran `prepack`) ships dist/ marked PACKED and runs it as it
// is: no source is looked at, esbuild is not needed. A clone rebuilds dist/ first when a
// source file is newer; where dist/ cannot be written (a read-only checkout), it runs the
// sources through tsx instead: slower to start, same program.
//
// --max-semi-space-size=1 (MiB): V8's young generation grows to 32 MiB by default while
// output floods a pane; nslab's allocations are short-lived strings, and a 1 MiB semi-space
// saves ~30 MiB of resident memory (measured after `seq 1 2000000`). It costs start-up time:
// V8 refuses the code cache Node ships for its own modules when a flag like this one differs
// from the flags it was made with, so every Node module nslab loads is compiled at start
// (loading child_process, net, crypto, tty... took 75 instead of 46-53 ms; `nslab play` to
// both prompts ~50 ms more in bench/launch.ts, measured on a 2-core VM).
//
// -u NODE_EXTRA_CA_CERTS: Node reads and parses that certificate bundle as it starts, before
// any of nslab runs, whether or not the process ever opens a TLS connection (Node's docs: "only
// read once when the process is first started"). Set to Debian's ca-certificates.crt, as on
// the machine this was measured on, it made `node -e 0` take ~105 ms instead of ~33. nslab
// opens no TLS connection, and its lab processes get an environment of their own
// (labEnvironment). `npm start` drops it the same way (package.json).
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
