#!/usr/bin/env node
// nslab's entry point: run the bundle in dist/, rebuilt first when a source file is newer
// (scripts/bundle.mjs). Where dist/ cannot be written (a read-only install), run the sources
// through tsx instead: slower to start, same program.
import { ensureBundle } from '../scripts/bundle.mjs';

let entry;
try {
  entry = await ensureBundle();
} catch (error) {
  if (!['EACCES', 'EROFS', 'EPERM'].includes(error?.code)) throw error;
  const { register } = await import('tsx/esm/api');
  register();
  entry = new URL('../src/cli.ts', import.meta.url).href;
}
await import(entry);
