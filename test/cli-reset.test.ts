/**
 * `nslab reset` as a student runs it: it asks first (on a terminal), refuses to guess without
 * one, forgets only what it names, and leaves a reset record in the event log, after which the
 * report counts that lab afresh.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pty from 'node-pty';
import { beforeEach, expect, it } from 'vitest';
import { ProgressStore } from '../src/labs/progress.ts';
import { EventLog } from '../src/report/event-log.ts';

const run = promisify(execFile);
let state: string;
let store: ProgressStore;

beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'nslab-reset-'));
  store = new ProgressStore(join(state, 'nslab'));
  store.update('pivot-root', { step: 2, done: false });
  store.update('veth-pairing', { step: 4, done: true });
});

const env = () => ({ ...process.env, XDG_STATE_HOME: state });
const nslab = (args: string[]) => run(process.execPath, ['bin/nslab.js', ...args], { env: env(), encoding: 'utf8' }).then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
const labs = () => Object.keys(store.load().progress.labs).sort();

it('without a terminal it asks for --yes and changes nothing', async () => {
  const result = await nslab(['reset', 'pivot-root']);
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('Add --yes');
  expect(labs()).toEqual(['pivot-root', 'veth-pairing']);
});

it('--yes forgets one lab, records the reset, and the report starts that lab afresh', async () => {
  expect((await nslab(['reset', 'pivot-root', '--yes'])).code).toBe(0);
  expect(labs()).toEqual(['veth-pairing']);
  const { records, problem } = new EventLog(join(state, 'nslab')).read();
  expect(problem).toBeNull();
  expect(records.at(-1)).toMatchObject({ type: 'reset', lab: 'pivot-root', scope: 'progress' });
  const report = JSON.parse((await nslab(['report', '--json'])).stdout) as { labs: Array<{ id: string; steps: Array<{ status: string; message: string }> }> };
  expect(report.labs.find((l) => l.id === 'pivot-root')!.steps.every((s) => s.status === 'fail' && s.message === 'not reached')).toBe(true);
});

it('--all --yes forgets every lab; an unknown lab is refused', async () => {
  expect((await nslab(['reset', 'no-such-lab', '--yes'])).stderr).toContain('There is no lab "no-such-lab"');
  expect((await nslab(['reset', '--all', '--yes'])).code).toBe(0);
  expect(labs()).toEqual([]);
});

it('on a terminal it asks first: "n" keeps everything, "y" forgets', async () => {
  const ask = (answer: string) =>
    new Promise<string>((resolve) => {
      const child = pty.spawn(process.execPath, ['bin/nslab.js', 'reset', '--all'], { cols: 100, rows: 10, cwd: process.cwd(), env: env() as Record<string, string> });
      let out = '';
      child.onData((d) => {
        out += d;
        if (out.includes('[y/N]') && !out.includes('\u0000asked')) {
          out += '\u0000asked';
          child.write(`${answer}\r`);
        }
      });
      child.onExit(() => resolve(out));
    });
  expect(await ask('n')).toContain('Nothing was changed.');
  expect(labs()).toEqual(['pivot-root', 'veth-pairing']);
  expect(await ask('y')).toContain('Forgot your progress in every lab.');
  expect(labs()).toEqual([]);
});
