import { describe, expect, it } from 'vitest';
import { KEYMAP } from '../src/keymap.ts';
import { type KeyAction, PASTE_IDLE_MS, PREFIX, PrefixKeyMachine, encodeForPane } from '../src/term/keys.ts';

const pane = (data: string): KeyAction => ({ kind: 'pane', data });
const cmd = (command: string, key: string): KeyAction => ({ kind: 'command', command, key }) as KeyAction;

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Feeds chunks one by one and returns all actions, merged per chunk as the machine gives them. */
function feedAll(machine: PrefixKeyMachine, ...chunks: string[]): KeyAction[] {
  return chunks.flatMap((c) => machine.feed(c));
}

/** All pane data of a list of actions, concatenated. */
const paneData = (actions: KeyAction[]): string =>
  actions.map((a) => (a.kind === 'pane' ? a.data : '')).join('');

describe('PrefixKeyMachine: bindings', () => {
  it.each([
    ['\t', 'switch-focus'],
    ['q', 'quit'],
    ['?', 'help'],
    ['h', 'hint'],
    ['s', 'solution'],
    ['r', 'reset'],
    ['l', 'list'],
    ['f', 'panel-full'],
    ['\x1b[B', 'panel-down'],
    ['\x1bOA', 'panel-up'],
  ])('Ctrl-g %j -> %s', (key, command) => {
    const m = new PrefixKeyMachine();
    expect(m.feed('\x07' + key)).toEqual([cmd(command, key)]);
    expect(m.armed).toBe(false);
  });

  it('every key of the keymap gives its command (the help and the footer cannot promise a dead key)', () => {
    for (const binding of KEYMAP) {
      if (binding.command === 'literal-prefix') continue;
      for (const key of binding.keys) expect(new PrefixKeyMachine().feed(PREFIX + key), binding.label).toEqual([cmd(binding.command, key)]);
    }
  });

  it('arms on the byte a terminal sends for Ctrl+G (BEL, 0x07), and on nothing else', () => {
    // What the footer and help call "Ctrl-g" must be what the key sends: Ctrl+letter is the
    // letter's code & 0x1f ('G' 0x47 -> 0x07). A different prefix byte fails here.
    const ctrlG = String.fromCharCode('G'.charCodeAt(0) & 0x1f);
    const m = new PrefixKeyMachine();
    expect(m.feed(ctrlG)).toEqual([]);
    expect(m.armed).toBe(true);
    expect(m.feed('q')).toEqual([cmd('quit', 'q')]);
    for (const other of ['\x01', '\x02', '\x1d', '\x00']) {
      const n = new PrefixKeyMachine();
      expect(n.feed(other + 'q')).toEqual([pane(other + 'q')]);
      expect(n.armed).toBe(false);
    }
  });

  it('Ctrl-g Ctrl-g sends one literal Ctrl-g to the pane', () => {
    const m = new PrefixKeyMachine();
    expect(m.feed('\x07\x07')).toEqual([pane('\x07')]);
    expect(m.armed).toBe(false);
  });

  it('merges a literal Ctrl-g with the pane data around it', () => {
    expect(new PrefixKeyMachine().feed('ab\x07\x07cd')).toEqual([pane('ab\x07cd')]);
  });

  it.each(['x', 'Q', 'H', ' ', '\r', '\x1b', '0'])('any other key (%j) is an unknown command', (key) => {
    const m = new PrefixKeyMachine();
    expect(m.feed(PREFIX + key)).toEqual([cmd('unknown', key)]);
    expect(m.armed).toBe(false);
  });

  it.each([
    ['arrow (CSI)', '\x1b[C'],
    ['arrow (SS3)', '\x1bOC'],
    ['modified arrow', '\x1b[1;5C'],
    ['F5', '\x1b[15~'],
    ['Alt-q', '\x1bq'],
    ['Alt-arrow', '\x1b\x1b[B'],
    ['a non-BMP character', '😀'],
    ['a UTF-8 character read as binary', '\xc3\xa9'],
  ])('a multi-byte key after the prefix is one unknown key: %s', (_name, key) => {
    const m = new PrefixKeyMachine();
    expect(m.feed(PREFIX + key + 'z')).toEqual([cmd('unknown', key), pane('z')]);
  });

  it('an arrow whose final byte is q is not quit', () => {
    // "\x1b[q" must be read as one key; reading ESC alone would leave "[q" behind.
    expect(new PrefixKeyMachine().feed('\x07\x1b[q')).toEqual([cmd('unknown', '\x1b[q')]);
  });
});

describe('PrefixKeyMachine: pass-through', () => {
  it('passes text without the prefix through unchanged, as one action', () => {
    const m = new PrefixKeyMachine();
    expect(m.feed('ls -la\r')).toEqual([pane('ls -la\r')]);
    expect(m.armed).toBe(false);
  });

  it('passes escape sequences and control bytes through byte for byte', () => {
    const data = '\x1b[A\x1bOB\x03\x04\x1b\x7f\x00\xff日本😀';
    expect(new PrefixKeyMachine().feed(data)).toEqual([pane(data)]);
  });

  it('gives a large chunk as one action', () => {
    const big = 'x'.repeat(10 * 1024);
    const actions = new PrefixKeyMachine().feed(big);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toEqual(pane(big));
  });

  it('splits a chunk around a command: "ab\\x07qcd" -> pane, quit, pane', () => {
    expect(new PrefixKeyMachine().feed('ab\x07qcd')).toEqual([pane('ab'), cmd('quit', 'q'), pane('cd')]);
  });

  it('handles several commands in one chunk', () => {
    expect(new PrefixKeyMachine().feed('\x07h\x07\tx\x07l')).toEqual([
      cmd('hint', 'h'),
      cmd('switch-focus', '\t'),
      pane('x'),
      cmd('list', 'l'),
    ]);
  });

  it('gives nothing for an empty chunk', () => {
    expect(new PrefixKeyMachine().feed('')).toEqual([]);
  });
});

describe('PrefixKeyMachine: chunk boundaries', () => {
  it('arms on a prefix at the end of a chunk and completes with the next chunk', () => {
    const m = new PrefixKeyMachine();
    expect(m.armed).toBe(false);
    expect(m.feed('ab\x07')).toEqual([pane('ab')]);
    expect(m.armed).toBe(true);
    expect(m.feed('qcd')).toEqual([cmd('quit', 'q'), pane('cd')]);
    expect(m.armed).toBe(false);
  });

  it('stays armed across an empty chunk', () => {
    const m = new PrefixKeyMachine();
    m.feed('\x07');
    expect(m.feed('')).toEqual([]);
    expect(m.armed).toBe(true);
    expect(m.feed('s')).toEqual([cmd('solution', 's')]);
  });

  it('a literal Ctrl-g split across chunks', () => {
    const m = new PrefixKeyMachine();
    expect(feedAll(m, 'a\x07', '\x07b')).toEqual([pane('a'), pane('\x07b')]);
  });

  it('an escape sequence after the prefix split across chunks is still one key', () => {
    const m = new PrefixKeyMachine();
    expect(m.feed('\x07\x1b[1;')).toEqual([]);
    expect(m.armed).toBe(true);
    expect(m.feed('5Aq')).toEqual([cmd('unknown', '\x1b[1;5A'), pane('q')]);
    expect(m.armed).toBe(false);
  });

  it('a lone ESC after the prefix is the Esc key, not the start of a sequence', () => {
    const m = new PrefixKeyMachine();
    expect(m.feed('\x07\x1b')).toEqual([cmd('unknown', '\x1b')]);
    expect(m.armed).toBe(false);
    expect(m.feed('[A')).toEqual([pane('[A')]);
  });

  it('the result does not depend on where a command-free stream is split', () => {
    const stream = `ab${PASTE_START}x\x07y${PASTE_END}\x07\x07cd\x1b[A`;
    const whole = paneData(new PrefixKeyMachine().feed(stream));
    for (let cut = 0; cut <= stream.length; cut++) {
      const m = new PrefixKeyMachine();
      expect(paneData(feedAll(m, stream.slice(0, cut), stream.slice(cut)))).toBe(whole);
      expect(m.armed).toBe(false);
    }
    expect(whole).toBe(`ab${PASTE_START}x\x07y${PASTE_END}\x07cd\x1b[A`);
  });

  it('commands are found wherever the stream is split', () => {
    const stream = `a\x07qb${PASTE_START}\x07q${PASTE_END}\x07\x1b[Cc`;
    // Cutting right after "\x07\x1b" makes a lone Esc key (tested above), so skip that cut.
    const afterLoneEsc = stream.lastIndexOf('\x1b') + 1;
    for (let cut = 0; cut <= stream.length; cut++) {
      if (cut === afterLoneEsc) continue;
      const actions = feedAll(new PrefixKeyMachine(), stream.slice(0, cut), stream.slice(cut));
      const commands = actions.filter((a) => a.kind === 'command');
      expect(commands).toEqual([cmd('quit', 'q'), cmd('unknown', '\x1b[C')]);
      expect(paneData(actions)).toBe(`ab${PASTE_START}\x07q${PASTE_END}c`);
    }
  });
});

describe('PrefixKeyMachine: bracketed paste', () => {
  it('never interprets a prefix inside a paste', () => {
    const data = `${PASTE_START}echo \x07q and \x07\x07${PASTE_END}`;
    const m = new PrefixKeyMachine();
    expect(m.feed(data)).toEqual([pane(data)]);
    expect(m.armed).toBe(false);
  });

  it('interprets the prefix again after the paste ends', () => {
    const m = new PrefixKeyMachine();
    expect(m.feed(`${PASTE_START}\x07q${PASTE_END}\x07q`)).toEqual([
      pane(`${PASTE_START}\x07q${PASTE_END}`),
      cmd('quit', 'q'),
    ]);
  });

  it('a paste spanning chunks stays uninterpreted until its end marker', () => {
    const m = new PrefixKeyMachine();
    expect(m.feed(`${PASTE_START}one\x07`)).toEqual([pane(`${PASTE_START}one\x07`)]);
    expect(m.armed).toBe(false);
    expect(m.feed('q two')).toEqual([pane('q two')]);
    expect(m.feed(`\x07h${PASTE_END}\x07h`)).toEqual([pane(`\x07h${PASTE_END}`), cmd('hint', 'h')]);
  });

  it('recognises paste markers split across chunks', () => {
    const m = new PrefixKeyMachine();
    expect(feedAll(m, 'x\x1b[2', '00~\x07q\x1b[20', '1~\x07q')).toEqual([
      pane('x\x1b[2'),
      pane('00~\x07q\x1b[20'),
      pane('1~'),
      cmd('quit', 'q'),
    ]);
  });

  it('a paste right after the prefix cancels the prefix and goes to the pane', () => {
    const m = new PrefixKeyMachine();
    const paste = `${PASTE_START}\x07q${PASTE_END}`;
    expect(m.feed('\x07' + paste)).toEqual([pane(paste)]);
    expect(m.armed).toBe(false);
  });

  it('a pasted 10 KB chunk with Ctrl-g inside is one action', () => {
    const data = PASTE_START + 'ab\x07q'.repeat(2560) + PASTE_END;
    expect(new PrefixKeyMachine().feed(data)).toEqual([pane(data)]);
  });
});

describe('encodeForPane', () => {
  const keys = ['A', 'B', 'C', 'D', 'H', 'F'];

  it.each(keys)('application mode: CSI %s -> SS3', (k) => {
    expect(encodeForPane(`\x1b[${k}`, true)).toBe(`\x1bO${k}`);
  });

  it.each(keys)('normal mode: SS3 %s -> CSI', (k) => {
    expect(encodeForPane(`\x1bO${k}`, false)).toBe(`\x1b[${k}`);
  });

  it('leaves keys already in the right form unchanged', () => {
    expect(encodeForPane('\x1bOA', true)).toBe('\x1bOA');
    expect(encodeForPane('\x1b[A', false)).toBe('\x1b[A');
  });

  it('rewrites every arrow in a chunk and keeps the bytes around them', () => {
    expect(encodeForPane('a\x1b[Ab\x1b[Dc', true)).toBe('a\x1bOAb\x1bODc');
    expect(encodeForPane('a\x1bOAb\x1bODc', false)).toBe('a\x1b[Ab\x1b[Dc');
  });

  it.each([
    ['modified arrow', '\x1b[1;5A'],
    ['modified Home', '\x1b[1;2H'],
    ['F1 (SS3)', '\x1bOP'],
    ['Delete', '\x1b[3~'],
    ['paste marker', PASTE_START],
    ['plain text with letters', 'ABCDHF [A OA'],
    ['Alt-[ then text', '\x1b[x'],
  ])('leaves %s unchanged in both modes', (_name, data) => {
    expect(encodeForPane(data, true)).toBe(data);
    expect(encodeForPane(data, false)).toBe(data);
  });
});

describe('PrefixKeyMachine: a paste start without an end (issue 9, finding 7)', () => {
  it('a lone paste start cannot disable the prefix: after a pause, Ctrl-g q quits', () => {
    let now = 1_000;
    const m = new PrefixKeyMachine({ now: () => now });
    expect(m.feed(PASTE_START)).toEqual([pane(PASTE_START)]);
    expect(m.inPaste).toBe(true);
    now += 50; // still the same burst: pasted text
    expect(m.feed('\x07q')).toEqual([pane('\x07q')]);
    now += PASTE_IDLE_MS + 1; // the user pauses, then presses the prefix
    expect(m.feed('\x07')).toEqual([]);
    expect(m.armed).toBe(true);
    expect(m.feed('q')).toEqual([cmd('quit', 'q')]);
  });

  it('every command key works after an unterminated paste, typed one key a chunk', () => {
    let now = 0;
    const m = new PrefixKeyMachine({ now: () => now });
    for (const byte of PASTE_START) m.feed(byte); // typed by hand, one byte at a time
    for (const [key, command] of [['h', 'hint'], ['?', 'help'], ['r', 'reset'], ['\t', 'switch-focus'], ['q', 'quit']] as const) {
      now += 1_000;
      expect(feedAll(m, PREFIX, key)).toEqual([cmd(command, key)]);
    }
  });
});
