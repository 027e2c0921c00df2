/**
 * A seeded fuzzer of the real app: random bytes, escape sequences, prefix keys, huge pastes
 * and resizes typed at the lab list, the playground and a lab. The same seed gives the same
 * input (timing aside). It fails on a crash (the app exits), a stack trace or crash message on
 * the screen, or a hang (the app no longer quits on Ctrl-g q / q).
 */
import { AppUnderTest } from './app.ts';

/** mulberry32: a small, fast, seedable PRNG (public domain). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FuzzTarget {
  readonly name: string;
  readonly args: string[];
  /** The screen is ready for input. */
  readonly ready: (screen: string) => boolean;
}

export const TARGETS: readonly FuzzTarget[] = [
  { name: 'lab list', args: [], ready: (s) => s.includes('chroot-escape') },
  { name: 'playground', args: ['play'], ready: (s) => s.includes('root@container') },
  { name: 'lab', args: ['chroot-escape'], ready: (s) => /step 1\//.test(s) },
];

/** Signs of a crash or a leaked stack trace on the screen. */
const BROKEN = /nslab crashed|Uncaught|\n\s+at [\w.<>]+ \(?[^)\s]+:\d+:\d+\)?|TypeError:|RangeError:|ReferenceError:|_subParamsIdx/;

/** The keys nslab quits on, taken out of random input (the fuzz must keep the app running). */
const QUIT_KEYS = /[qQ\x03\x04]/g;

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** One random chunk of input. */
function chunk(rand: () => number): string {
  const n = (max: number) => Math.floor(rand() * max);
  switch (n(6)) {
    case 0: // random bytes (as the terminal would send them: one char per byte)
      return Array.from({ length: 1 + n(48) }, () => String.fromCharCode(n(256))).join('').replace(QUIT_KEYS, 'x');
    case 1: { // an escape sequence, well-formed or not
      const params = Array.from({ length: n(4) }, () => String(n(2000))).join(pick(rand, [';', ':', '']));
      return pick(rand, [
        `\x1b[${params}${String.fromCharCode(0x40 + n(63))}`,
        `\x1b]${n(120)};${'x'.repeat(n(300))}${pick(rand, ['\x07', '\x1b\\', ''])}`,
        `\x1bP${params}q${'#'.repeat(n(100))}\x1b\\`,
        `\x1bO${String.fromCharCode(0x40 + n(63))}`,
        '\x1b[200~', '\x1b[201~', '\x1b[I', '\x1b[O', `\x1b[<0;${n(200)};${n(60)}M`, '\x1b', '\x1b\x1b[A',
        `\x1b[${n(30)}~`,
      ]);
    }
    case 2: // a prefix key and a command (never q)
      return `\x07${pick(rand, ['\t', 'h', '?', 's', 'r', 'l', 'i', 'x', '\x07', '\x1b', '1', '\r', '\x1b[A'])}`;
    case 3: // a huge paste, maybe unterminated
      return `\x1b[200~${Array.from({ length: 20_000 + n(180_000) }, () => String.fromCharCode(32 + n(95))).join('').replace(QUIT_KEYS, 'x')}${rand() < 0.8 ? '\x1b[201~' : ''}`;
    case 4: // list and shell keys
      return pick(rand, ['\r', '\x1b[A', '\x1b[B', 'p', ' ', 'ls\r', 'echo fuzz\r', '\x1b[5~', '\t', '\x7f']);
    default: // plain typing
      return Array.from({ length: 1 + n(20) }, () => String.fromCharCode(32 + n(95))).join('').replace(QUIT_KEYS, 'x');
  }
}

export interface FuzzResult {
  readonly chunks: number;
  readonly problem: string | null;
}

/** Fuzzes one target for `ms`; the app is stopped before returning. */
export async function fuzzTarget(target: FuzzTarget, seed: number, ms: number): Promise<FuzzResult> {
  const rand = prng(seed);
  const app = new AppUnderTest(target.args, { cols: 140, rows: 40 });
  let exitCode: number | null = null;
  void app.exited.then((code) => (exitCode = code));
  let chunks = 0;
  try {
    await app.waitFor(target.ready, `${target.name} to open`, 30_000);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (exitCode !== null) return { chunks, problem: `the app exited (${exitCode}) after ${chunks} chunks:\n${app.screen()}` };
      const broken = BROKEN.exec(app.screen());
      if (broken) return { chunks, problem: `"${broken[0]}" on the screen after ${chunks} chunks:\n${app.screen()}` };
      if (rand() < 0.02) app.resize(80 + Math.floor(rand() * 120), 24 + Math.floor(rand() * 30));
      app.type(chunk(rand));
      chunks++;
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 40)));
    }
    // Still alive and answering: it quits when asked (end any paste, pause, then the quit keys).
    const deadlineQuit = Date.now() + 30_000;
    while (exitCode === null && Date.now() < deadlineQuit) {
      app.type('\x1b[201~');
      await new Promise((r) => setTimeout(r, 500));
      app.type('\x07q');
      await new Promise((r) => setTimeout(r, 1_000));
      if (exitCode === null) app.type('q');
      await new Promise((r) => setTimeout(r, 1_000));
    }
    if (exitCode === null) return { chunks, problem: `the app did not quit (a hang) after ${chunks} chunks:\n${app.screen()}` };
    const broken = BROKEN.exec(app.screen());
    if (broken) return { chunks, problem: `"${broken[0]}" on the screen at the end:\n${app.screen()}` };
    return { chunks, problem: exitCode === 0 ? null : `the app exited with ${exitCode}:\n${app.screen()}` };
  } finally {
    app.kill();
    await app.exited;
  }
}

/** Runs every target for `totalMs` altogether; the first problem, with the seed to replay it. */
export async function fuzz(seed: number, totalMs: number): Promise<{ chunks: number; problem: string | null }> {
  let chunks = 0;
  for (const [i, target] of TARGETS.entries()) {
    const result = await fuzzTarget(target, seed + i, totalMs / TARGETS.length);
    chunks += result.chunks;
    if (result.problem) return { chunks, problem: `fuzz seed ${seed} (target "${target.name}", seed ${seed + i}): ${result.problem}` };
  }
  return { chunks, problem: null };
}
