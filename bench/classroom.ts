/**
 * The classroom figure: how many lab sessions one machine holds at once, each a real `nslab
 * <lab>` (its own lab world, both panes open, checks running as the student works) driven by a
 * student-like typist, before keystroke echo p99 passes 50 ms; and what each session costs in
 * memory. Headless: no outer terminal parses the sessions' output (that would measure the
 * bench); a key counts as echoed when the session has written the typed text after the prompt.
 */
import pty, { type IPty } from 'node-pty';
import { NSLAB_ENV, cpuQuiet, percentile, treeRssMiB } from './outer.ts';

/** BENCH_CLASSROOM_LEVELS=20,30 tries only those. */
const LEVELS = (process.env.BENCH_CLASSROOM_LEVELS ?? '1,5,10,20,30,40,50').split(',').map(Number);
const WINDOW_MS = 8_000;
const LIMIT_MS = 50;
const COMMANDS = ['hostname', 'ls /', 'echo hello', 'cat /etc/hostname', 'id', 'ps'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Student {
  private readonly pty: IPty;
  /** Output since the last key, searched for that key's echo. */
  private since = '';
  /** Shell prompts seen drawn so far: one per pane on the first frame. */
  private prompts = 0;
  private expect: { text: string; sent: number } | null = null;
  private stopped = false;
  latencies: number[] = [];
  /** Keys whose echo had not arrived when the next key was due. */
  misses = 0;

  constructor(labId: string) {
    this.pty = pty.spawn('bin/nslab.js', [labId], {
      name: 'xterm-256color',
      cols: 160,
      rows: 45,
      cwd: process.cwd(),
      env: { ...process.env, ...NSLAB_ENV } as Record<string, string>,
    });
    this.pty.onData((data) => {
      // Both shells' prompts (the lab's own starting state decides which: a shell of the lab
      // host in ~, or of a container in /). Each pane's row is drawn whole, so a prompt is
      // never split across escapes.
      if (this.prompts < 2) this.prompts += data.match(/:[~/]# /g)?.length ?? 0;
      if (!this.expect) return;
      this.since += data;
      if (this.since.includes(this.expect.text)) {
        this.latencies.push(performance.now() - this.expect.sent);
        this.expect = null;
      } else if (this.since.length > 1 << 16) this.since = this.since.slice(-(1 << 12));
    });
  }

  get pid(): number {
    return this.pty.pid;
  }

  get ready(): boolean {
    return this.prompts >= 2;
  }

  /** Types commands letter by letter at 3–8 keys a second, Enter, a pause, the next one. */
  async typeLoop(): Promise<void> {
    for (let i = Math.floor(Math.random() * COMMANDS.length); !this.stopped; i++) {
      const command = COMMANDS[i % COMMANDS.length]!;
      for (let k = 1; k <= command.length && !this.stopped; k++) {
        this.since = '';
        this.expect = { text: `# ${command.slice(0, k)}`, sent: performance.now() };
        this.pty.write(command[k - 1]!);
        await sleep(120 + Math.random() * 200);
        if (this.expect) this.misses++;
        this.expect = null;
      }
      // Stopped halfway through a command: cancel the line (Ctrl-C) rather than run it. A
      // half-typed `cat` would wait on the terminal, and every key of the next level would go
      // to it instead of to a prompt: a whole session's keys counted as unechoed.
      this.pty.write(this.stopped ? '\x03' : '\r');
      await sleep(400 + Math.random() * 800);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  resume(): void {
    this.stopped = false;
  }

  kill(): void {
    try {
      this.pty.kill('SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function classroom(labId: string): Promise<void> {
  console.log(`\nclassroom: concurrent \`nslab ${labId}\` sessions, each typing like a student (3–8 keys/s); echo p99 over ${WINDOW_MS / 1000} s`);
  console.log(`${'sessions'.padStart(8)} ${'echo p50'.padStart(9)} ${'echo p99'.padStart(9)} ${'keys'.padStart(6)} ${'unechoed'.padStart(9)} ${'RSS each'.padStart(9)}`);
  const students: Student[] = [];
  let held = 0;
  try {
    for (const level of LEVELS) {
      while (students.length < level) students.push(new Student(labId));
      const deadline = Date.now() + 120_000;
      while (!students.every((s) => s.ready)) {
        if (Date.now() > deadline) throw new Error('classroom: sessions did not open');
        await sleep(100);
      }
      // Typing starts once every session has finished opening (a session opening is not a
      // student typing; on 2 cores, 10 opening at once take tens of seconds).
      await cpuQuiet(students.map((s) => s.pid), 120_000);
      for (const s of students) {
        s.latencies = [];
        s.misses = 0;
        s.resume();
      }
      const typing = students.map((s) => s.typeLoop());
      await sleep(WINDOW_MS);
      for (const s of students) s.stop();
      await Promise.all(typing);
      // A key not echoed before the next one was due (≥ 120 ms) counts as slower than any.
      const misses = students.reduce((n, s) => n + s.misses, 0);
      const latencies = [...students.flatMap((s) => s.latencies), ...new Array<number>(misses).fill(Infinity)];
      const keys = latencies.length;
      const rss = treeRssMiB(students.map((s) => s.pid)) / students.length;
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      console.log(`${String(level).padStart(8)} ${p50.toFixed(1).padStart(6)} ms ${(Number.isFinite(p99) ? p99.toFixed(1) : '>120').padStart(6)} ms ${String(keys).padStart(6)} ${String(misses).padStart(9)} ${rss.toFixed(1).padStart(5)} MiB`);
      if (p99 > LIMIT_MS) break;
      held = level;
    }
    console.log(`classroom figure: ${held} sessions hold echo p99 ≤ ${LIMIT_MS} ms${held === LEVELS.at(-1) ? ' (the most tried)' : ''}`);
  } finally {
    for (const s of students) s.kill();
  }
}
