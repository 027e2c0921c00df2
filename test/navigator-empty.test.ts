/** Issue 9, finding 6: an empty lab list (every lab file refused) and Enter must not crash. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ProgressStore } from '../src/labs/progress.ts';
import { Navigator } from '../src/navigator.ts';

it('an empty lab list takes Enter and the arrows without opening anything, and says why it is empty', () => {
  const store = new ProgressStore(join(mkdtempSync(join(tmpdir(), 'nslab-nav-')), 'state'));
  const navigator = new Navigator([], store, '/nonexistent.tar', { columns: 120, rows: 40 }, () => {}, 'labs/01-x/lab.md:2: field format: is 2: this nslab reads format 1');
  for (const key of ['\r', 'j', '\x1b[A', '\n']) navigator.input(key);
  expect(navigator.view.screen).toEqual({ kind: 'list', selected: 0 });
  expect(navigator.view.warning).toContain('this nslab reads format 1');
});
