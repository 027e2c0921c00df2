/**
 * Input first (src/term/input-first.ts): a key typed in one pane holds the other panes that
 * are streaming until its answer is drawn, for HOLD_MS at most, and never loses their output.
 * Real PTYs and programs; no timing is asserted beyond "eventually".
 */
import { afterEach, expect, it } from 'vitest';
import { HOLD_MS, holdOthersForAnswer } from '../src/term/input-first.ts';
import { Pane } from '../src/term/pane.ts';
import { eventually } from './support/host.ts';

const panes: Pane[] = [];
afterEach(() => {
  for (const pane of panes.splice(0)) pane.dispose();
});

function pane(script: string): Pane {
  const p = new Pane({ argv: ['/bin/sh', '-c', script], env: { PATH: '/usr/bin:/bin' }, cols: 80, rows: 24 });
  panes.push(p);
  return p;
}

const screenText = (p: Pane) => {
  const buffer = p.term.buffer.active;
  return Array.from({ length: p.term.rows }, (_, y) => buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '').join('\n');
};

const changeListeners = (p: Pane) => (p as unknown as { changeListeners: unknown[] }).changeListeners.length;

/** A pane whose program echoes keys (the terminal's own echo) and one that floods. */
async function typedAndFlooding(typedScript = 'echo ready; exec cat'): Promise<{ typed: Pane; flood: Pane }> {
  const typed = pane(typedScript);
  const flood = pane('exec yes flood-line');
  expect(await eventually(() => screenText(typed).includes('ready') && flood.streaming, 10_000)).toBe(true);
  return { typed, flood };
}

it('holds a streaming pane while a key typed in another waits for its echo, and lets it go once the echo is in', async () => {
  const { typed, flood } = await typedAndFlooding();
  typed.write('k');
  holdOthersForAnswer(typed, [typed, flood]);
  expect(flood.held).toBe(true);
  expect(typed.held).toBe(false);
  const received = flood.received;
  expect(await eventually(() => screenText(typed).includes('k'))).toBe(true);
  expect(flood.held).toBe(false);
  // It reads and draws again, nothing of its output lost on the way.
  expect(await eventually(() => flood.received > received + 100_000, 10_000)).toBe(true);
  expect(screenText(flood)).toMatch(/flood-line\n/);
});

it('a key that gets no answer holds the others for HOLD_MS only, and leaves no listener behind', async () => {
  const { typed, flood } = await typedAndFlooding('stty -echo; echo ready; exec cat > /dev/null');
  const listeners = changeListeners(typed);
  for (let i = 0; i < 50; i++) {
    typed.write('x');
    holdOthersForAnswer(typed, [typed, flood]);
  }
  expect(flood.held).toBe(true);
  await new Promise((r) => setTimeout(r, HOLD_MS * 4));
  expect(flood.held).toBe(false);
  expect(changeListeners(typed)).toBe(listeners);
  const received = flood.received;
  expect(await eventually(() => flood.received > received + 100_000, 10_000)).toBe(true);
});

it('a pane that is not streaming is not held', async () => {
  const typed = pane('echo ready; exec cat');
  const quiet = pane('echo quiet; exec sleep 60');
  expect(await eventually(() => screenText(typed).includes('ready') && screenText(quiet).includes('quiet'), 10_000)).toBe(true);
  await new Promise((r) => setTimeout(r, 100));
  holdOthersForAnswer(typed, [typed, quiet]);
  expect(quiet.held).toBe(false);
});
