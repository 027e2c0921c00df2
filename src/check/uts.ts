/** The hostname of a UTS namespace (uts_namespaces(7), sethostname(2)). */
import { z } from 'zod';
import { readHostname } from '../kernel/uts.ts';
import { gone, predicate, subject } from './types.ts';

export const utsHostname = predicate({
  name: 'uts.hostname',
  params: z
    .strictObject({
      subject,
      /** The subject's hostname is exactly this. */
      name: z.string().min(1).optional(),
      /** The subject's hostname is anything but this. */
      not: z.string().min(1).optional(),
      /** The outside keeps this hostname (renaming it instead is the mistake). */
      outsideIs: z.string().min(1).optional(),
      outside: subject.default('lab-host'),
    })
    .refine((p) => p.name !== undefined || p.not !== undefined || p.outsideIs !== undefined, { message: 'needs one of name, not, outsideIs' }),
  codes: ['shared-namespace', 'outside-renamed', 'same-name', 'other-name'],
  async evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const outside = view.subject(p.outside);
    if (!outside) return gone(p.outside);
    const [mine, theirs] = await Promise.all([readHostname(proc.pid), readHostname(outside.pid)]);
    if (mine === null) return gone(p.subject);
    if (theirs === null) return gone(p.outside);
    const facts = { subject: p.subject, outside: p.outside, hostname: mine, outsideHostname: theirs };
    const shared = proc.ns('uts') !== null && proc.ns('uts') === outside.ns('uts');
    if (shared && proc.pid !== outside.pid && (p.name !== undefined || p.not !== undefined)) return { code: 'shared-namespace', facts };
    if (p.outsideIs !== undefined && theirs !== p.outsideIs) return { code: 'outside-renamed', facts };
    if (p.not !== undefined && mine === p.not) return { code: 'same-name', facts };
    if (p.name !== undefined && mine !== p.name) return { code: 'other-name', facts };
    return { code: 'pass', facts };
  },
});

export const UTS_PREDICATES = [utsHostname];
