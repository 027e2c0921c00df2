/**
 * Once per test run: a private temp directory for everything the tests create (caches, state,
 * worlds' images), removed afterwards; and the app bundle the end-to-end tests start.
 *
 * TMPDIR points inside it, so fixed names like tmpdir()/nslab-test-cache cannot be pre-created
 * by another user of a shared /tmp. Mode 0711: others may pass through (the unprivileged-user
 * test needs that) but may not list or create anything in it.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBundle } from '../../scripts/bundle.mjs';

export default async function setup(): Promise<() => void> {
  const runDir = mkdtempSync(join(tmpdir(), 'nslab-test-run-'));
  chmodSync(runDir, 0o711);
  process.env.TMPDIR = runDir;
  await ensureBundle();
  return () => rmSync(runDir, { recursive: true, force: true });
}
