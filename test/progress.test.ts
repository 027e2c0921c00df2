import { linkSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgressStore, describeProgress } from '../src/labs/progress.ts';

const dirs: string[] = [];
function store(): ProgressStore {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-progress-'));
  dirs.push(dir);
  return new ProgressStore(join(dir, 'state'));
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('progress', () => {
  it('starts empty and round-trips', () => {
    const s = store();
    expect(s.load()).toEqual({ progress: { version: 1, labs: {} }, warning: null });
    s.update('pivot-root', { step: 2, done: false });
    const { progress } = s.load();
    expect(progress.labs['pivot-root']).toMatchObject({ step: 2, done: false });
    expect(describeProgress(progress.labs['pivot-root'], 4)).toBe('in progress: step 3 of 4');
    expect(describeProgress(undefined, 4)).toBe('new');
  });

  it('writes atomically: a new file renamed over the old one, no temp file left behind', () => {
    const s = store();
    s.update('a', { step: 1, done: false });
    const before = readFileSync(s.file, 'utf8');
    // A second name for the old file: an in-place write (open O_TRUNC + write, what
    // writeFileSync does) would change what it holds, and a crash halfway would leave a
    // truncated progress file; rename(2) replaces the directory entry and leaves it whole.
    const oldCopy = join(s.dir, 'old-progress');
    linkSync(s.file, oldCopy);
    const oldInode = statSync(s.file).ino;
    s.update('a', { step: 2, done: false });
    expect(readFileSync(oldCopy, 'utf8')).toBe(before);
    expect(statSync(s.file).ino).not.toBe(oldInode);
    expect(s.load().progress.labs['a']).toMatchObject({ step: 2 });
    expect(readdirSync(s.dir).sort()).toEqual(['old-progress', 'progress.json']);
  });

  it('keeps a corrupt file aside and reports it, never silently losing it', () => {
    const s = store();
    s.update('a', { step: 1, done: false });
    writeFileSync(s.file, '{"version":1,"labs":{"a":{"step":"x"'); // truncated by a crash elsewhere
    const loaded = s.load();
    expect(loaded.progress.labs).toEqual({});
    expect(loaded.warning).toMatch(/could not be read; it was kept as .*progress\.json\.corrupt-/);
    const aside = readdirSync(s.dir).find((f) => f.startsWith('progress.json.corrupt-'))!;
    expect(readFileSync(join(s.dir, aside), 'utf8')).toBe('{"version":1,"labs":{"a":{"step":"x"');
  });
});
