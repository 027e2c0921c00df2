/**
 * A lab recorded with --record through the real TUI, then graded with `nslab report`: the file
 * is asciicast v2 (parsed here, and played back by asciinema where it is installed), its
 * markers sit at the step passes, and the JUnit report validates against the JUnit schema and
 * counts the steps the progress file says were passed.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pty from 'node-pty';
import xtermHeadless from '@xterm/headless';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadLabs } from '../src/labs/catalog.ts';
import type { Lab } from '../src/labs/types.ts';
import { AppUnderTest } from './support/app.ts';
import { eventually, guardRealMachine, leftoverProcesses } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);
const dir = mkdtempSync(join(tmpdir(), 'nslab-e2e-record-'));
const cast = join(dir, 'session.cast');
let app: AppUnderTest;
let lab: Lab;
const PASSED = 2;

beforeAll(async () => {
  lab = (await loadLabs()).find((l) => l.id === 'pivot-root')!;
  app = new AppUnderTest(['pivot-root', '--record', cast], { cols: 160, rows: 45 });
});
afterAll(async () => {
  app.kill();
  await eventually(() => leftoverProcesses().length === 0);
});

const stepLine = (n: number) => new RegExp(`step ${n}/${lab.steps.length}`);
type Event = [number, string, string];

it('records a lab while the student passes two steps, resizes and quits', async () => {
  await app.waitFor((s) => stepLine(1).test(s) && s.includes('root@container'), 'the lab at step 1', 40_000);
  let focus = 'container';
  for (const step of lab.steps.slice(0, PASSED)) {
    for (const line of step.solution) {
      if (line.pane !== focus) app.type('\x07\t');
      focus = line.pane;
      app.type(`${line.command}\r`);
    }
    await app.waitFor((s) => stepLine(lab.steps.indexOf(step) + 2).test(s), `${step.id} passed`, 20_000);
  }
  app.resize(170, 48);
  await app.waitFor((s) => /^[┏╭][━─]{83}[┓╮]/m.test(s), 'redrawn at 170x48');
  app.type('\x07q');
  expect(await app.exited).toBe(0);
});

it('is asciicast v2: a header with size, time and env, then o, r and m events in time order', () => {
  const [headerLine, ...lines] = readFileSync(cast, 'utf8').trimEnd().split('\n');
  const header = JSON.parse(headerLine!) as Record<string, unknown>;
  expect(header).toMatchObject({ version: 2, width: 160, height: 45, env: { TERM: 'xterm-256color' } });
  expect(Math.abs((header.timestamp as number) - Date.now() / 1000)).toBeLessThan(600);
  const events = lines.map((l) => JSON.parse(l) as Event);
  for (const e of events) {
    expect(e).toHaveLength(3);
    expect(['o', 'r', 'm']).toContain(e[1]);
  }
  expect(events.map((e) => e[0])).toEqual(events.map((e) => e[0]).sort((a, b) => a - b));
  expect(events.filter((e) => e[1] === 'r').map((e) => e[2])).toEqual(['170x48']);
  const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
  expect(output).toContain('\x1b[?1049h'); // what the screen showed, from its very first byte
  expect(output).toContain('root@container');
});

it('has one marker per step pass, each just before the screen first shows the next step', () => {
  const events = readFileSync(cast, 'utf8').trimEnd().split('\n').slice(1).map((l) => JSON.parse(l) as Event);
  const markers = events.map((e, i) => [e, i] as const).filter(([e]) => e[1] === 'm');
  expect(markers.map(([e]) => e[2])).toEqual(lab.steps.slice(0, PASSED).map((s, i) => `pivot-root: step ${i + 1} passed (${s.id})`));
  for (const [n, [, at]] of markers.entries()) {
    const next = stepLine(n + 2);
    const firstShown = events.findIndex((e) => e[1] === 'o' && next.test(e[2]));
    expect(firstShown).toBeGreaterThan(at);
    expect(events.slice(0, at).some((e) => e[1] === 'o' && next.test(e[2]))).toBe(false);
  }
});

const haveAsciinema = spawnSync('asciinema', ['--version']).status === 0;
it.skipIf(!haveAsciinema)('plays back with asciinema', async () => {
  // asciinema cat reads keys from /dev/tty, so it runs under a terminal of its own.
  const term = new xtermHeadless.Terminal({ cols: 170, rows: 48, allowProposedApi: true });
  const child = pty.spawn('asciinema', ['cat', cast], { cols: 170, rows: 48, env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string> });
  let played = '';
  child.onData((d) => (played += d));
  const code = await new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  expect(code).toBe(0);
  // The screen as it was just before nslab quit (and left the alternate screen).
  const leave = played.lastIndexOf('\x1b[?1049l');
  expect(leave).toBeGreaterThan(0);
  await new Promise<void>((resolve) => term.write(played.slice(0, leave), resolve));
  const buffer = term.buffer.active;
  const screen = Array.from({ length: term.rows }, (_, y) => buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '').join('\n');
  expect(screen).toMatch(stepLine(PASSED + 1));
});

const run = promisify(execFile);
const nslab = (args: string[]) =>
  run(process.execPath, ['bin/nslab.js', ...args], { env: { ...process.env, XDG_STATE_HOME: app.stateDir }, encoding: 'utf8' }).catch((e: { code: number; stdout: string; stderr: string }) => e);

const haveXmllint = spawnSync('xmllint', ['--version']).status === 0;
it.skipIf(!haveXmllint)('report --junit validates and counts what the progress file says', async () => {
  const progress = JSON.parse(readFileSync(join(app.stateDir, 'nslab', 'progress.json'), 'utf8')) as { labs: Record<string, { step: number }> };
  expect(progress.labs['pivot-root']!.step).toBe(PASSED);
  const { stdout } = (await nslab(['report', '--junit'])) as { stdout: string };
  const xml = join(dir, 'report.xml');
  writeFileSync(xml, stdout);
  const lint = spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit.xsd', xml], { encoding: 'utf8' });
  expect(lint.stderr).toMatch(/validates/);
  const suite = /<testsuite name="pivot-root"[^>]*>([\s\S]*?)<\/testsuite>/.exec(stdout)![1]!;
  const cases = suite.split('<testcase ').slice(1);
  expect(cases).toHaveLength(lab.steps.length);
  const passed = cases.filter((c) => !/<failure |<error /.test(c));
  expect(passed).toHaveLength(progress.labs['pivot-root']!.step);
  // What the kernel showed at the pass travels with it.
  expect(passed[0]).toMatch(/pass \S+: /);
});

it('report --json says when the event log was edited', async () => {
  const json = JSON.parse(((await nslab(['report', '--json'])) as { stdout: string }).stdout) as { log: { intact: boolean }; summary: { pass: number } };
  expect(json).toMatchObject({ log: { intact: true }, summary: { pass: PASSED } });
  const file = join(app.stateDir, 'nslab', 'events.jsonl');
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  lines[0] = lines[0]!.replace('"step":0', '"step":1');
  writeFileSync(file, lines.join('\n') + '\n');
  const edited = (await nslab(['report', '--json'])) as { code?: number; stdout: string; stderr: string };
  expect(edited.code).toBe(1);
  expect(edited.stderr).toMatch(/event log .* has been changed/);
  expect(JSON.parse(edited.stdout)).toMatchObject({ log: { intact: false } });
});
