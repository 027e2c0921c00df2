/**
 * Per-user progress, under the XDG state directory. Written atomically and never through
 * anything another user planted (src/private-dir.ts), so a crash leaves either the old file or
 * the new one. A file that cannot be read as progress is moved aside, never overwritten, and
 * the caller is told where it went.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { NslabError } from '../errors.ts';
import { PrivateDir, type DirPurpose } from '../private-dir.ts';

export function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'nslab');
}

export const STATE_DIR: DirPurpose = { name: 'state', variable: 'XDG_STATE_HOME', why: 'nslab keeps your progress there' };
const PROGRESS_FILE = 'progress.json';

const labProgressSchema = z.object({
  /** Index of the step the student is on; equals the step count when the lab is done. */
  step: z.number().int().nonnegative(),
  done: z.boolean(),
  updatedAt: z.string(),
});
const progressSchema = z.object({ version: z.literal(1), labs: z.record(z.string(), labProgressSchema) });

export type LabProgress = z.infer<typeof labProgressSchema>;
export type Progress = z.infer<typeof progressSchema>;

export interface LoadedProgress {
  readonly progress: Progress;
  /** Set when the file was unreadable and was moved aside. */
  readonly warning: string | null;
}

export class ProgressStore {
  readonly file: string;
  constructor(readonly dir = defaultStateDir()) {
    this.file = join(dir, PROGRESS_FILE);
  }

  load(): LoadedProgress {
    return PrivateDir.with(this.dir, STATE_DIR, (dir) => {
      let text: string | null;
      try {
        text = dir.readText(PROGRESS_FILE);
      } catch (error) {
        throw new NslabError(`Cannot read your progress file ${this.file}: ${(error as Error).message}`, 'Check its permissions, or set XDG_STATE_HOME elsewhere.');
      }
      if (text === null) return { progress: empty(), warning: null };
      try {
        return { progress: progressSchema.parse(JSON.parse(text)), warning: null };
      } catch {
        const aside = `${PROGRESS_FILE}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        dir.rename(PROGRESS_FILE, aside);
        return { progress: empty(), warning: `Your progress file could not be read; it was kept as ${join(this.dir, aside)} and nslab starts afresh.` };
      }
    });
  }

  save(progress: Progress): void {
    PrivateDir.with(this.dir, STATE_DIR, (dir) => {
      try {
        dir.writeAtomic(PROGRESS_FILE, JSON.stringify(progress, null, 2) + '\n');
      } catch (error) {
        throw new NslabError(`Cannot save your progress to ${this.file}: ${(error as Error).message}`, 'Check the disk and the permissions of that directory, or set XDG_STATE_HOME elsewhere.');
      }
    });
  }

  /** Loads, applies `change` to one lab's entry, saves. */
  update(labId: string, entry: Omit<LabProgress, 'updatedAt'>): Progress {
    const { progress } = this.load();
    progress.labs[labId] = { ...entry, updatedAt: new Date().toISOString() };
    this.save(progress);
    return progress;
  }
}

function empty(): Progress {
  return { version: 1, labs: {} };
}

/** "new", "step 2 of 4", "done" for the lab list. */
export function describeProgress(entry: LabProgress | undefined, stepCount: number): string {
  if (!entry) return 'new';
  if (entry.done) return 'done';
  return `in progress: step ${Math.min(entry.step + 1, stepCount)} of ${stepCount}`;
}
