/**
 * Recording what the screen showed as an asciicast v2 file (docs.asciinema.org, "asciicast
 * v2"): a JSON header line (version, width, height, timestamp, env), then one JSON array a line
 * per event, [seconds, code, data]: "o" output written to the terminal, "r" a resize to
 * "COLSxROWS", "m" a marker (here: a step passed) that players can jump to.
 *
 * Every event is written with one write(2) as it happens, so the file is complete up to the
 * last frame even when nslab is killed.
 */
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { NslabError } from '../errors.ts';

export interface CastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  /** Unix time (seconds) at the start of the recording. */
  readonly timestamp: number;
  readonly title?: string;
  readonly env: Readonly<Record<string, string>>;
}

export type CastEvent = [number, 'o' | 'r' | 'm', string];

export class CastRecorder {
  private readonly fd: number;
  private readonly started = performance.now();
  private closed = false;

  constructor(
    readonly file: string,
    size: { columns: number; rows: number },
    title: string,
  ) {
    try {
      // O_EXCL: an existing file (an earlier recording) is never overwritten; O_NOFOLLOW: nor
      // is a file a symlink at that name points to.
      this.fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === 'EEXIST' || code === 'ELOOP' ? 'Choose a new file name, or remove the old recording first.' : 'Check that the directory exists and can be written.';
      throw new NslabError(`Cannot record to ${file}: ${(error as Error).message}`, hint);
    }
    const header: CastHeader = {
      version: 2,
      width: size.columns,
      height: size.rows,
      timestamp: Math.floor(Date.now() / 1000),
      title,
      env: { SHELL: process.env.SHELL ?? '/bin/sh', TERM: process.env.TERM ?? 'xterm-256color' },
    };
    this.line(header);
  }

  output(data: string): void {
    if (data !== '') this.event('o', data);
  }

  resize(columns: number, rows: number): void {
    this.event('r', `${columns}x${rows}`);
  }

  marker(label: string): void {
    this.event('m', label);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private event(code: CastEvent[1], data: string): void {
    if (this.closed) return;
    // Six decimals as asciinema writes them; the clock is monotonic, so times never go back.
    const seconds = Math.round(performance.now() - this.started) / 1000;
    this.line([seconds, code, data] satisfies CastEvent);
  }

  private line(value: unknown): void {
    writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }
}

/**
 * The tap: every byte nslab writes to the terminal goes through process.stdout.write, so the
 * recording wraps that one function (and nothing else). Returns the function that removes it.
 */
export function tapStdout(stdout: NodeJS.WriteStream, onOutput: (data: string) => void): () => void {
  const original = stdout.write;
  const decoder = new StringDecoder('utf8'); // a character split across two writes stays whole
  stdout.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    try {
      onOutput(typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk as Uint8Array)));
    } catch {
      // A full disk must not take the screen with it; the recording just stops growing.
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stdout.write;
  return () => {
    stdout.write = original;
  };
}
