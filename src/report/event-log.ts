/**
 * An append-only log of what happened in the labs (a step passed, a hint or the solution was
 * shown, a reset), one JSON record a line in the state directory. Each record carries the
 * SHA-256 of the line before it, and `events.head` holds the hash and number of the last one,
 * so an edited, removed or reordered record breaks the chain and `nslab report` says so.
 *
 * This is evidence, not proof: the student owns the machine and can rewrite the whole chain.
 * What it rules out is the quiet edit of one line.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultStateDir } from '../labs/progress.ts';
import { appendStateFile, replaceStateFile } from './state-file.ts';

export const EVENT_LOG_VERSION = 1;
/** The `prev` of the first record: the hash of nothing that came before. */
export const GENESIS = '0'.repeat(64);

/** `skipped`: not checked on that machine (a check's `requires:` unmet); neither pass nor fail. */
const findingSchema = z.object({ id: z.string(), title: z.string(), pass: z.boolean(), skipped: z.literal(true).optional(), found: z.string() });
export type Finding = z.infer<typeof findingSchema>;

const bodySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('step-passed'), lab: z.string(), step: z.number().int().nonnegative(), stepId: z.string(), findings: z.array(findingSchema) }),
  z.object({ type: z.literal('hint-shown'), lab: z.string(), step: z.number().int().nonnegative(), stepId: z.string(), hint: z.number().int().positive() }),
  z.object({ type: z.literal('solution-shown'), lab: z.string(), step: z.number().int().nonnegative(), stepId: z.string() }),
  /** world: Ctrl-g r, a fresh world (progress kept); progress: `nslab reset`, the lab forgotten. */
  z.object({ type: z.literal('reset'), lab: z.string(), scope: z.enum(['world', 'progress']) }),
]);
export type EventBody = z.infer<typeof bodySchema>;

const metaSchema = z.object({ v: z.literal(EVENT_LOG_VERSION), seq: z.number().int().nonnegative(), at: z.string(), prev: z.string().regex(/^[0-9a-f]{64}$/) });
export type EventRecord = EventBody & z.infer<typeof metaSchema>;

const headSchema = z.object({ seq: z.number().int(), hash: z.string() });

export interface LogReading {
  /** The records that parse, in file order (after a break too: the report shows them as untrusted). */
  readonly records: readonly EventRecord[];
  /** How many records from the start form an unbroken chain that ends at the head. */
  readonly trusted: number;
  /** Why the chain is broken (which line, what is wrong); null when intact. */
  readonly problem: string | null;
}

export const hashLine = (line: string): string => createHash('sha256').update(line, 'utf8').digest('hex');

export class EventLog {
  readonly file: string;
  readonly headFile: string;

  constructor(
    readonly dir = defaultStateDir(),
    private readonly now: () => Date = () => new Date(),
  ) {
    this.file = join(dir, 'events.jsonl');
    this.headFile = join(dir, 'events.head');
  }

  /** Appends one record, chained to the last line actually in the file. */
  append(body: EventBody): EventRecord {
    const lines = this.lines();
    const last = lines.at(-1);
    const record = { v: EVENT_LOG_VERSION, seq: lines.length, at: this.now().toISOString(), prev: last === undefined ? GENESIS : hashLine(last), ...bodySchema.parse(body) } as EventRecord;
    const line = JSON.stringify(record);
    appendStateFile(this.file, `${line}\n`);
    replaceStateFile(this.headFile, `${JSON.stringify({ seq: record.seq, hash: hashLine(line) })}\n`);
    return record;
  }

  /** Reads and verifies the whole log. A missing log is an empty, intact one. */
  read(): LogReading {
    const lines = this.lines();
    const records: EventRecord[] = [];
    let problem: string | null = null;
    let trusted = 0;
    let prev = GENESIS;
    for (const [i, line] of lines.entries()) {
      const record = parseRecord(line);
      if (!record) {
        problem ??= `line ${i + 1} is not an event record`;
        continue;
      }
      records.push(record);
      if (problem === null) {
        if (record.prev !== prev) {
          problem = `line ${i + 1} does not follow line ${i} (a record before it was changed or removed)`;
          trusted = Math.max(0, i - 1); // the line before may be the edited one
        } else if (record.seq !== i) problem = `line ${i + 1} is numbered ${record.seq} (records were removed or reordered)`;
        else trusted = i + 1;
      }
      prev = hashLine(line);
    }
    if (problem === null) problem = this.checkHead(lines);
    if (problem !== null && trusted === lines.length && lines.length > 0) trusted = lines.length - 1; // the last line itself is in doubt
    return { records, trusted, problem };
  }

  /** The head file names the last record: a truncated log or an edited last line shows here. */
  private checkHead(lines: readonly string[]): string | null {
    let text: string;
    try {
      text = readFileSync(this.headFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return lines.length === 0 ? null : `${this.headFile} is missing`;
    }
    const head = headSchema.safeParse(safeJson(text));
    if (!head.success) return `${this.headFile} is not readable`;
    const last = lines.at(-1);
    if (head.data.seq !== lines.length - 1) return `the log ends at record ${lines.length - 1} but its head names record ${head.data.seq} (records were removed or added)`;
    if (last === undefined || head.data.hash !== hashLine(last)) return `the last record (line ${lines.length}) was changed`;
    return null;
  }

  private lines(): string[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return text.split('\n').filter((line) => line !== '');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseRecord(line: string): EventRecord | null {
  const json = safeJson(line);
  const meta = metaSchema.safeParse(json);
  const body = bodySchema.safeParse(json);
  return meta.success && body.success ? ({ ...meta.data, ...body.data } as EventRecord) : null;
}
