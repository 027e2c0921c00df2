/**
 * Keys to a pane's program: written by write(2) on the PTY master in the call that got them
 * (node-pty's own queue goes through libuv's thread pool, a thread hop per keystroke), and
 * never lost or reordered when the program stops reading and the PTY's buffer fills.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import { Pane } from '../src/term/pane.ts';
import { eventually } from './support/host.ts';

const dir = mkdtempSync(join(tmpdir(), 'nslab-pane-write-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let pane: Pane | null = null;
afterEach(() => {
  pane?.dispose();
  pane = null;
});

/** node-pty's pending writes (its internal queue; the same field Pane reads). */
function queued(p: Pane): number {
  const queue = (p as unknown as { pty: { _writeStream?: { _writeQueue?: unknown[] } } }).pty._writeStream?._writeQueue;
  if (!Array.isArray(queue)) throw new Error('node-pty no longer keeps _writeStream._writeQueue: Pane.ptyQueueEmpty needs a look');
  return queue.length;
}

/** A program that copies its raw terminal input into `file`. */
function copier(file: string): Pane {
  return new Pane({ argv: ['/bin/sh', '-c', `stty raw -echo && echo ready && exec cat > ${file}`], env: { PATH: '/usr/bin:/bin' }, cols: 80, rows: 24 });
}

/** The file's text; '' until the program has created it. */
const contents = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
};

const screenText = (p: Pane) => {
  const buffer = p.term.buffer.active;
  return Array.from({ length: p.term.rows }, (_, y) => buffer.getLine(y)?.translateToString(true) ?? '').join('\n');
};

it('a key is written to the PTY in the call that gets it, not queued for the thread pool', async () => {
  const file = join(dir, 'key');
  pane = copier(file);
  expect(await eventually(() => screenText(pane!).includes('ready'))).toBe(true);
  pane.write('k');
  expect(queued(pane)).toBe(0);
  expect(await eventually(() => contents(file) === 'k')).toBe(true);
});

it('keys to a program that stopped reading wait in order, and all arrive once it reads again', async () => {
  const file = join(dir, 'stopped');
  pane = copier(file);
  expect(await eventually(() => screenText(pane!).includes('ready'))).toBe(true);
  const cat = Number(readFileSync(`/proc/${pane.pid}/task/${pane.pid}/children`, 'utf8').trim() || pane.pid);
  process.kill(cat, 'SIGSTOP');
  // Far more than a PTY's buffer holds (a few KiB to 64 KiB): write(2) answers EAGAIN part-way.
  let sent = '';
  for (let i = 0; i < 4000; i++) {
    const key = `${i % 10}${String.fromCharCode(97 + (i % 26))}`.repeat(20);
    sent += key;
    pane.write(key);
  }
  expect(queued(pane)).toBeGreaterThan(0);
  process.kill(cat, 'SIGCONT');
  await eventually(() => contents(file).length >= sent.length, 20_000);
  expect(contents(file)).toBe(sent);
});

it('the warm-up write reaches no program and counts as no key', async () => {
  const file = join(dir, 'warm');
  pane = copier(file);
  expect(await eventually(() => screenText(pane!).includes('ready'))).toBe(true);
  const typedAt = pane.lastInputAt;
  pane.warmWrite();
  expect(pane.lastInputAt).toBe(typedAt);
  pane.write('k');
  expect(await eventually(() => contents(file) === 'k')).toBe(true);
  await new Promise((r) => setTimeout(r, 50));
  expect(contents(file)).toBe('k');
});
