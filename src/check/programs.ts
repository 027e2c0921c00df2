/**
 * What runs: a process by its command name (comm, proc(5)) and the pid namespace it is in. The
 * name is what the process calls itself, so it only ever names what a step asks the student to
 * run; which namespace it runs in is read from the kernel.
 */
import { z } from 'zod';
import { listPids, readComm, readProcLink, readStatus } from '../kernel/proc.ts';
import { gone, predicate, subject } from './types.ts';

const comm = z.string().min(1).max(15, 'a command name has at most 15 characters (proc(5), comm)');

export const procRuns = predicate({
  name: 'proc.runs',
  params: z.strictObject({ subject, comm, in: subject.optional() }),
  codes: ['other-program', 'stopped', 'outside'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const name = proc.comm();
    const facts = { subject: p.subject, comm: name ?? '' };
    if (name !== p.comm) return { code: 'other-program', facts };
    const state = proc.status()?.state;
    if (state === 'T' || state === 't') return { code: 'stopped', facts };
    if (p.in) {
      const there = view.subject(p.in);
      if (!there) return gone(p.in);
      if (proc.ns('pid') === null || proc.ns('pid') !== there.ns('pid')) return { code: 'outside', facts: { ...facts, in: p.in } };
    }
    return { code: 'pass', facts };
  },
});

/**
 * No process named `comm` is left in the pid namespace of `in`: the kernel's own process list
 * (the machine's /proc, not one the lab mounted), filtered by that pid namespace.
 */
export const procNoneNamed = predicate({
  name: 'proc.noneNamed',
  params: z.strictObject({ comm, in: subject }),
  codes: ['running', 'stopped'],
  evaluate(view, p) {
    const there = view.subject(p.in);
    if (!there) return gone(p.in);
    const ns = there.ns('pid');
    if (ns === null) return gone(p.in);
    let stopped = 0;
    let running = 0;
    for (const pid of listPids()) {
      let state: string | undefined;
      try {
        if (readProcLink(pid, 'ns/pid') !== ns || readComm(pid) !== p.comm) continue;
        state = readStatus(pid)?.state;
      } catch {
        continue; // not ours to read (EACCES): then not a lab process either
      }
      if (state === 'Z' || state === 'X' || state === undefined) continue;
      if (state === 'T' || state === 't') stopped++;
      else running++;
    }
    const facts = { comm: p.comm, in: p.in, running, stopped };
    if (running > 0) return { code: 'running', facts };
    if (stopped > 0) return { code: 'stopped', facts };
    return { code: 'pass', facts };
  },
});

export const PROGRAM_PREDICATES = [procRuns, procNoneNamed];
