import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
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

describe('the state directory of another user (issue 9, finding 5)', () => {
  /** A root-owned file outside the state dir, standing for /etc/shadow. */
  function victim(): string {
    const dir = mkdtempSync(join(tmpdir(), 'nslab-victim-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'shadow'), 'root:secret\n', { mode: 0o600 });
    return join(dir, 'shadow');
  }

  it.runIf(process.getuid!() === 0)('root does not write through symlinks planted in a foreign-owned state dir', () => {
    const base = mkdtempSync(join(tmpdir(), 'nslab-foreign-'));
    dirs.push(base);
    const state = join(base, 'nslab');
    mkdirSync(state);
    const target = victim();
    // What another user (65534) can plant in a directory of theirs: the temp names nslab uses.
    for (let n = 0; n < 4; n++) symlinkSync(target, join(state, `progress.json.tmp-${process.pid + n}`));
    symlinkSync(target, join(state, 'progress.json'));
    chownSync(state, 65534, 65534);
    const s = new ProgressStore(state);
    expect(() => s.update('a', { step: 1, done: false })).toThrow(/owned by uid 65534 .* must be your own/);
    expect(() => s.load()).toThrow(/owned by uid 65534/);
    expect(readFileSync(target, 'utf8')).toBe('root:secret\n');
  });

  it('refuses a state dir others can write, and a state dir that is a symlink', () => {
    const base = mkdtempSync(join(tmpdir(), 'nslab-shared-'));
    dirs.push(base);
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => new ProgressStore(shared).load()).toThrow(/mode 1777;.* writable by no one else/);
    symlinkSync(victim(), join(base, 'link'));
    expect(() => new ProgressStore(join(base, 'link')).load()).toThrow(/is a symlink or not a directory/);
    symlinkSync(base, join(base, 'dir-link'));
    expect(() => new ProgressStore(join(base, 'dir-link')).load()).toThrow(/is a symlink or not a directory/);
  });

  it('in its own dir, a symlinked progress file is neither read through nor written through', () => {
    const s = store();
    s.update('a', { step: 1, done: false });
    const target = victim();
    rmSync(s.file);
    symlinkSync(target, s.file);
    expect(() => s.load()).toThrow(/Cannot read your progress file/);
    s.save({ version: 1, labs: {} }); // replaces the link itself (rename(2)), not its target
    expect(readFileSync(target, 'utf8')).toBe('root:secret\n');
    expect(lstatSync(s.file).isFile()).toBe(true);
    expect(readdirSync(s.dir)).toEqual(['progress.json']);
  });
});
