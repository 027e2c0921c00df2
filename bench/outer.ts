/**
 * The bench's view of a terminal program as a person sees it: the program runs in a PTY and its
 * output is parsed by a second headless terminal (the "outer screen"). A key counts as echoed
 * when it is visible there, a flood as drained when its last line is. nslab and tmux are driven
 * through the same harness, so the two are timed the same way.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pty, { type IPty } from 'node-pty';
import xtermHeadless from '@xterm/headless';

const { Terminal } = xtermHeadless;

export interface OuterOptions {
  readonly argv: readonly string[];
  readonly env?: Record<string, string>;
  readonly cols?: number;
  readonly rows?: number;
  readonly cwd?: string;
}

/** Where the bench keeps nslab's state and cache (never the user's own). */
export const SCRATCH = process.env.BENCH_SCRATCH ?? '/tmp/nslab-bench';
export const NSLAB_ENV = { XDG_STATE_HOME: join(SCRATCH, 'state'), XDG_CACHE_HOME: join(SCRATCH, 'cache') };

type Waiter = { predicate: () => boolean; resolve: (at: number) => void };

export class Outer {
  readonly term: InstanceType<typeof Terminal>;
  readonly exited: Promise<void>;
  /** Bytes the program wrote to its terminal (what an outer terminal must parse). */
  bytes = 0;
  private readonly pty: IPty;
  private waiters: Waiter[] = [];

  constructor(options: OuterOptions) {
    const cols = options.cols ?? 160;
    const rows = options.rows ?? 45;
    this.term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 0 });
    this.pty = pty.spawn(options.argv[0]!, options.argv.slice(1), {
      name: 'xterm-256color',
      cols,
      rows,
      cwd: options.cwd ?? process.cwd(),
      env: { ...process.env, ...options.env } as Record<string, string>,
    });
    this.pty.onData((data) => {
      this.bytes += Buffer.byteLength(data);
      // Predicates are tested once the chunk is parsed: the moment it is on the outer screen.
      this.term.write(data, () => this.check());
    });
    this.exited = new Promise((resolve) => this.pty.onExit(() => resolve()));
  }

  get pid(): number {
    return this.pty.pid;
  }

  private check(): void {
    if (this.waiters.length === 0) return;
    const now = performance.now();
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate()) return true;
      w.resolve(now);
      return false;
    });
  }

  /** Resolves with the time (performance.now()) at which the predicate first held. */
  when(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<number> {
    if (predicate()) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`bench: timed out waiting for ${what}; the screen shows:\n${this.screen()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Visible text of columns [from, to) of every row. */
  region(from: number, to: number): string {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let y = 0; y < this.term.rows; y++) lines.push(buffer.getLine(buffer.viewportY + y)?.translateToString(true, from, to) ?? '');
    return lines.join('\n');
  }

  screen(): string {
    return this.region(0, this.term.cols);
  }

  half(side: 'left' | 'right'): string {
    const mid = Math.floor(this.term.cols / 2);
    return side === 'left' ? this.region(0, mid) : this.region(mid, this.term.cols);
  }

  type(data: string): void {
    this.pty.write(data);
  }

  kill(): void {
    try {
      this.pty.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ---------------------------------------------------------------------------------------
// Processes, from /proc (proc(5)).

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  /** utime + stime, clock ticks. */
  readonly cpuTicks: number;
}

function readStat(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** The pids of the trees rooted at `roots` (the roots included). */
export function processTree(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (!info) continue;
    const list = children.get(info.ppid) ?? [];
    list.push(info.pid);
    children.set(info.ppid, list);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  for (const root of roots) walk(root);
  return out;
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Σ peak resident set (VmHWM) over the trees, MiB. */
export function treePeakRssMiB(roots: readonly number[]): number {
  return processTree(roots).reduce((sum, pid) => sum + statusKb(pid, 'VmHWM'), 0) / 1024;
}

/** Σ current resident set (VmRSS) over the trees, MiB. */
export function treeRssMiB(roots: readonly number[]): number {
  return processTree(roots).reduce((sum, pid) => sum + statusKb(pid, 'VmRSS'), 0) / 1024;
}

const TICKS_PER_SECOND = 100; // USER_HZ, sysconf(_SC_CLK_TCK) on Linux

/** CPU seconds used so far by the trees' live processes. */
export function treeCpuSeconds(roots: readonly number[]): number {
  return processTree(roots).reduce((sum, pid) => sum + (readStat(pid)?.cpuTicks ?? 0), 0) / TICKS_PER_SECOND;
}

/** Waits (at most `timeoutMs`) until the trees use under 5 % of a core (each) over 300 ms. */
export async function cpuQuiet(roots: number[], timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const before = treeCpuSeconds(roots);
    await new Promise((r) => setTimeout(r, 300));
    if ((treeCpuSeconds(roots) - before) / 0.3 < 0.05 * roots.length) return;
  }
}

// ---------------------------------------------------------------------------------------
// Statistics.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (values: readonly number[]) => percentile(values, 50);
