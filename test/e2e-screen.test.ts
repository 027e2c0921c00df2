/**
 * What the outer terminal shows is exactly the panes' own screens plus Ink's frame, cell by
 * cell, after everything that used to leave stale rows: floods, colours and wide characters,
 * the alternate screen, a resize, the help over the panes, a focus switch, random binary.
 * In-process: the real stage screen (Ink + ScreenWriter, components/fullscreen.tsx) draws into
 * a headless "outer" terminal while real lab-world panes run the commands.
 *
 * Also the bound on what reaches the outer terminal (issue #9, finding 8): a frame is at most
 * every cell once, however many combining marks a cell holds, and a key typed in one pane
 * costs a row of output, not a screen.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createElement } from 'react';
import xterm from '@xterm/headless';
import unicode11 from '@xterm/addon-unicode11';
import { stripVTControlCharacters } from 'node:util';
import stringWidth from 'string-width';
import { mountInk, type Screen } from '../components/fullscreen.tsx';
import { StageScreen } from '../components/StageScreen.tsx';
import { Session } from '../src/session/session.ts';
import { PLAYGROUND } from '../src/world/stage.ts';
import { MAX_CELL_UNITS, renderRow } from '../src/term/render.ts';
import type { Pane } from '../src/term/pane.ts';
import { ScreenWriter, type Placement } from '../src/term/screen-writer.ts';
import { paintStage, playgroundPaneOrigins } from '../src/term/terminal.ts';
import { guardRealMachine } from './support/host.ts';
import { testRootfsTar } from './support/rootfs.ts';

guardRealMachine(testRootfsTar);

const { Terminal } = xterm;
type Term = InstanceType<typeof Terminal>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let session: Session;
let writer: ScreenWriter;
let screen: Screen;
/** The screen as `nslab play` first draws it, before Ink: its differences, and where the panes were. */
let early: { diffs: string[]; placements: Placement[] };
let outer: Term;
let written: string[] = [];
/** The outer terminal takes nothing (as one that reads slowly): what it has not taken yet. */
let notTaken: string[] | null = null;
let columns = 160;
let rows = 45;

function newOuter(cols: number, height: number): Term {
  const term = new Terminal({ cols, rows: height, allowProposedApi: true, scrollback: 0, logLevel: 'off' });
  term.loadAddon(new unicode11.Unicode11Addon());
  term.unicode.activeVersion = '11';
  return term;
}

beforeAll(async () => {
  const tar = await testRootfsTar();
  outer = newOuter(columns, rows);
  session = new Session({ spec: PLAYGROUND, rootfsTar: tar, columns, rows });
  writer = new ScreenWriter((data) => {
    written.push(data);
    if (notTaken) {
      notTaken.push(data);
      return false;
    }
    outer.write(data);
    return true;
  }, rows);
  // As `nslab play` starts (src/cli.ts): the open stage's panes through the writer alone, then Ink.
  await session.start();
  await until(() => screenOf('host').includes('root@host') && screenOf('container').includes('root@container'));
  paintStage(writer, session.view.stage!);
  early = { diffs: await differences(), placements: writer.placements() };
  screen = mountInk(createElement(StageScreen, { session, columns, rows }), writer, columns, rows);
});

afterAll(async () => {
  screen?.unmount();
  await session?.close();
  outer?.dispose();
});

function pane(id: 'host' | 'container'): Pane {
  return session.view.stage![id];
}

function screenOf(id: 'host' | 'container'): string {
  const term = pane(id).term;
  const lines: string[] = [];
  for (let y = 0; y < term.rows; y++) lines.push(term.buffer.active.getLine(term.buffer.active.viewportY + y)?.translateToString(true) ?? '');
  return lines.join('\n');
}

async function until(predicate: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

/** Both panes quiet, no frame due, and the outer terminal has parsed all of it. */
async function settle(): Promise<void> {
  await until(() => {
    const now = performance.now();
    const stage = session.view.stage;
    return !!stage && now - stage.host.lastChangeAt > 250 && now - stage.container.lastChangeAt > 250 && !writer.pending;
  }, 60_000);
  await new Promise<void>((resolve) => outer.write('', resolve));
}

function type(keys: string): void {
  session.input(keys);
}

/** Renders one pane row as nslab draws it, parsed by a terminal like the outer one. */
function reference(term: Term, y: number, cursorX: number | undefined): Term {
  const ref = newOuter(term.cols, 1);
  ref.write(renderRow(term, y, cursorX));
  return ref;
}

const attrs = (cell: ReturnType<Term['buffer']['active']['getNullCell']>) =>
  `${cell.getChars() || ' '}|${cell.getWidth()}|${cell.getFgColorMode()}:${cell.getFgColor()}|${cell.getBgColorMode()}:${cell.getBgColor()}|${cell.isBold()}${cell.isDim()}${cell.isItalic()}${cell.isUnderline()}${cell.isInverse()}${cell.isInvisible()}${cell.isStrikethrough()}`;

/**
 * Every cell of the outer screen: inside a pane, what the pane's row renders to; outside, the
 * text of Ink's frame. Returns the differences (empty: the screens agree).
 */
async function differences(): Promise<string[]> {
  await settle();
  const diffs: string[] = [];
  const covered = new Set<string>();
  const ob = outer.buffer.active;
  const oc = ob.getNullCell();
  for (const { pane: p, x, y, cursor, chrome } of writer.placements()) {
    // The chrome (titles, border): its text, cell by cell, where the writer says it is.
    for (const [row, segments] of chrome) {
      const outLine = ob.getLine(ob.viewportY + row)!;
      for (const segment of segments) {
        let col = segment.x;
        for (const ch of stripVTControlCharacters(segment.text)) {
          const width = stringWidth(ch);
          if (width === 0) continue; // a combining mark: part of the cell before it
          for (let c = col; c < col + width; c++) covered.add(`${row}:${c}`);
          outLine.getCell(col, oc);
          if ((oc.getChars() || ' ') !== ch) diffs.push(`chrome row ${row} col ${col}: chrome "${ch}" screen "${oc.getChars()}"`);
          col += width;
        }
      }
    }
    const term = p.term;
    const buffer = term.buffer.active;
    const cursorRow = cursor ? buffer.cursorY : -1;
    for (let r = 0; r < term.rows; r++) {
      const ref = reference(term, r, r === cursorRow ? buffer.cursorX : undefined);
      await new Promise<void>((resolve) => ref.write('', resolve));
      const rc = ref.buffer.active.getNullCell();
      const refLine = ref.buffer.active.getLine(0)!;
      const outLine = ob.getLine(ob.viewportY + y + r)!;
      for (let c = 0; c < term.cols; c++) {
        covered.add(`${y + r}:${x + c}`);
        refLine.getCell(c, rc);
        outLine.getCell(x + c, oc);
        if (attrs(rc) !== attrs(oc)) diffs.push(`pane row ${r} col ${c} (screen ${y + r},${x + c}): pane ${attrs(rc)} screen ${attrs(oc)}`);
      }
      ref.dispose();
    }
  }
  const ink = writer.inkFrame;
  for (let y = 0; y < outer.rows; y++) {
    const expected = [...stripVTControlCharacters(ink[y] ?? '')];
    const line = ob.getLine(ob.viewportY + y)!;
    let col = 0;
    for (const ch of expected) {
      if (col >= outer.cols) break;
      line.getCell(col, oc);
      if (!covered.has(`${y}:${col}`) && (oc.getChars() || ' ') !== ch) diffs.push(`ink row ${y} col ${col}: frame "${ch}" screen "${oc.getChars()}"`);
      col += Math.max(1, stringWidth(ch)); // Ink lays its frame out by string-width
    }
    for (; col < outer.cols; col++) {
      line.getCell(col, oc);
      if (!covered.has(`${y}:${col}`) && (oc.getChars() || ' ') !== ' ') diffs.push(`ink row ${y} col ${col}: frame blank, screen "${oc.getChars()}"`);
    }
  }
  return diffs.slice(0, 10);
}

it('draws both prompts before Ink is up, where Ink then puts the panes, and nothing else', async () => {
  expect(early.diffs).toEqual([]);
  await until(() => writer.inkFrame.some((line) => line.includes('quit'))); // Ink's frame, with the footer
  await settle();
  const at = (list: Placement[]) => list.map(({ pane: p, x, y }) => ({ id: p === pane('host') ? 'host' : 'container', x, y }));
  expect(at(writer.placements())).toEqual(at(early.placements));
  const origins = playgroundPaneOrigins(session.view.layout.paneCols);
  expect(at(early.placements)).toEqual([{ id: 'host', ...origins.host }, { id: 'container', ...origins.container }]);
});

it('shows both prompts exactly as the panes have them', async () => {
  expect(await differences()).toEqual([]);
});

it('after a flood with colours and wide characters in one pane and a focus switch', async () => {
  type('\x07\t'); // focus: host
  type(`seq 1 100000; for i in $(seq 1 200); do printf '\\033[3%d;4%dm%d 中文 wide\\033[0m\\n' $((i%8)) $(((i+3)%8)) $i; done\r`);
  await until(() => /200 中文 wide/.test(screenOf('host')), 60_000);
  expect(await differences()).toEqual([]);
  type('\x07\t'); // both borders and titles change, drawn by the ScreenWriter alone
  expect(await differences()).toEqual([]);
  expect(writer.placements().map((p) => p.cursor)).toEqual([false, true]);
  type('\x07\t');
});

it('after the outer terminal fell behind during a flood and a focus switch: nothing drawn meanwhile, all of it once it caught up', async () => {
  expect(await differences()).toEqual([]);
  notTaken = [];
  type(`for i in $(seq 1 300); do printf '\\033[3%dmline %d\\033[0m\\n' $((i%8)) $i; done\r`);
  await until(() => screenOf(session.view.focus).includes('line 300'), 60_000);
  type('\x07\t');
  await sleep(200);
  // The frame that found the terminal behind; none after it while it stays behind.
  expect(notTaken.length).toBeLessThanOrEqual(1);
  const rest = notTaken.join('');
  notTaken = null;
  outer.write(rest);
  writer.drained();
  expect(await differences()).toEqual([]);
  type('\x07\t');
});

it('on the alternate screen and back', async () => {
  type('clear; echo before-less\r');
  await until(() => screenOf('host').includes('before-less'));
  type('seq 1 500 | less\r');
  await until(() => /^1\s*$/m.test(screenOf('host')) && !screenOf('host').includes('before-less'));
  expect(await differences()).toEqual([]);
  type('G');
  await until(() => /^500\s*$/m.test(screenOf('host')));
  type('q');
  await until(() => screenOf('host').includes('before-less'));
  expect(await differences()).toEqual([]);
});

it('after a program redraws rows in place, away from the cursor (positioning, erase, a scroll region)', async () => {
  // Only the rows the emulator reports damaged are rendered (Pane.onDamage): each burst below
  // changes rows the cursor is not on and was not on, without scrolling the screen.
  const bursts = [
    `clear; printf '\\033[2;1Hrow-two\\033[6;1Hrow-six\\033[4;1Hrow-four\\033[8;1Hrow-eight\\033[12;1Hstep-a\\n'`,
    `printf '\\033[2;1H\\033[Kchanged-two\\033[6;3H\\033[1Knew\\033[4;1H\\033[2K\\033[20;1Hstep-b\\n'`,
    `printf '\\033[3;9r\\033[9;1H\\n\\n\\033[r\\033[26;1Hstep-c\\n'`,
  ];
  for (const [i, burst] of bursts.entries()) {
    type(`${burst}\r`);
    await until(() => screenOf('host').includes(`step-${'abc'[i]}`));
    expect(await differences()).toEqual([]);
  }
});

it('with the help over the panes and after it closes', async () => {
  type('\x07?');
  await until(() => writer.placements().length === 0);
  expect(await differences()).toEqual([]);
  type('\x07?');
  await until(() => writer.placements().length === 2);
  expect(await differences()).toEqual([]);
});

it('with the inspector over the other pane, as its text changes beside the focused one', async () => {
  // The inspector's lines run through the focused pane's rows: each rewrite of them by Ink
  // erases that pane's border too, which the ScreenWriter must draw again.
  type('\x07i');
  await until(() => writer.placements().length === 1);
  expect(await differences()).toEqual([]);
  const before = writer.inkFrame.join('\n');
  type('unshare --net --fork bash\r');
  await until(() => writer.inkFrame.join('\n') !== before, 15_000);
  expect(await differences()).toEqual([]);
  type('exit\r');
  type('\x07i\x07i\x07i');
  await until(() => writer.placements().length === 2);
  expect(await differences()).toEqual([]);
});

it('with wide characters in a pane title (a program named so)', async () => {
  const titleText = () => writer.placements().flatMap((p) => [...p.chrome.values()].flat().map((seg) => stripVTControlCharacters(seg.text))).join('\n');
  type('cp /bin/sleep /tmp/中文中 && /tmp/中文中 3\r');
  await until(() => titleText().includes('中文中'), 15_000);
  expect(await differences()).toEqual([]);
  await until(() => !titleText().includes('中文中'), 15_000);
  expect(await differences()).toEqual([]);
});

it('after the outer terminal is resized (smaller, then larger)', async () => {
  for (const [c, r] of [
    [120, 36],
    [170, 50],
  ] as const) {
    columns = c;
    rows = r;
    outer.resize(c, r);
    screen.resize(c, r);
    session.resize(c, r);
    await until(() => pane('host').term.cols === session.view.layout.paneCols && pane('host').term.rows === session.view.layout.paneRows);
    type(`echo resized-${c}\r`);
    await until(() => screenOf(session.view.focus).includes(`resized-${c}`));
    expect(await differences()).toEqual([]);
  }
});

it('bounds the output: a pane full of combining marks, then keys in the other pane', async () => {
  type('clear\r');
  // 40 cells of "a" + 1000 combining acute accents each (80 kB of text).
  type(`m=$(printf '\\u0301%.0s' $(seq 1000)); for i in $(seq 40); do printf "a$m"; done; echo; echo marks-done\r`);
  await until(() => screenOf('host').includes('marks-done'), 30_000);
  await settle();
  expect(pane('host').term.buffer.active.getLine(pane('host').term.buffer.active.cursorY - 2)?.getCell(0)?.getChars().length).toBeGreaterThan(1000);
  // Every frame is at most each cell once, each cell at most MAX_CELL_UNITS units + its SGR.
  const cells = outer.cols * outer.rows;
  const frameBound = cells * (MAX_CELL_UNITS + 40);
  for (const chunk of written) expect(chunk.length).toBeLessThan(frameBound);

  type('\x07\t'); // focus: container
  await settle();
  written = [];
  for (const key of 'abcdefghijklmnopqrst') {
    type(key);
    await until(() => screenOf('container').includes(`# ${'abcdefghijklmnopqrst'.slice(0, 'abcdefghijklmnopqrst'.indexOf(key) + 1)}`));
    await sleep(20);
  }
  await settle();
  const perKey = written.join('').length / 20;
  expect(perKey).toBeLessThan(1024); // a row of the pane, not the screen (was 1.1 MB)
  type('\x15');
  expect(await differences()).toEqual([]);
});

it('after random binary: the screens still agree, and every frame stays bounded', async () => {
  type('\x07\t'); // focus: host
  written = [];
  type('head -c 3000000 /dev/urandom; printf "\\033c"; echo binary-done\r');
  await until(() => screenOf('host').includes('binary-done'), 120_000);
  const cells = outer.cols * outer.rows;
  for (const chunk of written) expect(chunk.length).toBeLessThan(cells * (MAX_CELL_UNITS + 40));
  expect(await differences()).toEqual([]);
});
