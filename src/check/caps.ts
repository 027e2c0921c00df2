/**
 * Capability sets of a process (capabilities(7)): /proc/PID/status shows each set as a hex
 * mask (CapInh, CapPrm, CapEff, CapBnd, CapAmb), bit N for capability N of <linux/capability.h>.
 */
import { z } from 'zod';
import { error, gone, predicate, subject } from './types.ts';

/** Capability names by number, as <linux/capability.h> (and capsh, and setpriv) spell them. */
export const CAPABILITY_NAMES: readonly string[] = [
  'cap_chown', 'cap_dac_override', 'cap_dac_read_search', 'cap_fowner', 'cap_fsetid', 'cap_kill',
  'cap_setgid', 'cap_setuid', 'cap_setpcap', 'cap_linux_immutable', 'cap_net_bind_service',
  'cap_net_broadcast', 'cap_net_admin', 'cap_net_raw', 'cap_ipc_lock', 'cap_ipc_owner',
  'cap_sys_module', 'cap_sys_rawio', 'cap_sys_chroot', 'cap_sys_ptrace', 'cap_sys_pacct',
  'cap_sys_admin', 'cap_sys_boot', 'cap_sys_nice', 'cap_sys_resource', 'cap_sys_time',
  'cap_sys_tty_config', 'cap_mknod', 'cap_lease', 'cap_audit_write', 'cap_audit_control',
  'cap_setfcap', 'cap_mac_override', 'cap_mac_admin', 'cap_syslog', 'cap_wake_alarm',
  'cap_block_suspend', 'cap_audit_read', 'cap_perfmon', 'cap_bpf', 'cap_checkpoint_restore',
];

export const CAP_SETS = { effective: 'CapEff', permitted: 'CapPrm', bounding: 'CapBnd', inheritable: 'CapInh', ambient: 'CapAmb' } as const;
export type CapSet = keyof typeof CAP_SETS;

/** The names in a status mask; a bit this table does not know is named `cap_N`. */
export function decodeCaps(hex: string): string[] {
  const mask = BigInt(`0x${hex}`);
  const names: string[] = [];
  for (let bit = 0n; mask >> bit !== 0n; bit++) {
    if ((mask >> bit) & 1n) names.push(CAPABILITY_NAMES[Number(bit)] ?? `cap_${bit}`);
  }
  return names;
}

/** One set from the text of /proc/PID/status, or null if the line is missing. */
export function capSet(statusText: string, set: CapSet): string[] | null {
  const m = new RegExp(`^${CAP_SETS[set]}:\\s*([0-9a-f]+)$`, 'm').exec(statusText);
  return m ? decodeCaps(m[1]!) : null;
}

const capName = z
  .string()
  .transform((s) => (s.startsWith('cap_') ? s : `cap_${s}`))
  .refine((s) => CAPABILITY_NAMES.includes(s), { message: 'not a capability name (capabilities(7))' });

export const capsSet = predicate({
  name: 'caps.set',
  params: z
    .strictObject({
      subject,
      set: z.enum(['effective', 'permitted', 'bounding', 'inheritable', 'ambient']).default('effective'),
      /** Each of these is in the set. */
      has: z.array(capName).optional(),
      /** None of these is in the set. */
      lacks: z.array(capName).optional(),
      /** The set is exactly this ([] for no capability at all). */
      exactly: z.array(capName).optional(),
    })
    .refine((p) => p.has || p.lacks || p.exactly, { message: 'needs one of has, lacks, exactly' }),
  codes: ['has', 'lacks'],
  evaluate(view, p) {
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    const text = view.source.procText(proc.pid, 'status');
    if (text === null) return gone(p.subject);
    const caps = capSet(text, p.set);
    if (caps === null) return error(`/proc/PID/status has no ${CAP_SETS[p.set]} line`);
    const facts = { subject: p.subject, set: p.set, caps };
    const missing = [...(p.has ?? []), ...(p.exactly ?? [])].filter((c) => !caps.includes(c));
    if (missing.length > 0) return { code: 'lacks', facts: { ...facts, missing } };
    const extra = caps.filter((c) => (p.exactly !== undefined && !p.exactly.includes(c)) || (p.lacks ?? []).includes(c));
    if (extra.length > 0) return { code: 'has', facts: { ...facts, extra } };
    return { code: 'pass', facts };
  },
});

export const CAPS_PREDICATES = [capsSet];
