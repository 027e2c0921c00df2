/**
 * Network namespaces: veth pairs, addresses, routes and pings. Links and addresses come from
 * nslab's own `ip` (src/kernel/netlink.ts); routes, ICMP counters and the neighbour table from
 * /proc/<pid>/net/*. Subjects name network namespaces by a process in them: `lab-host` and
 * `container-init` for the two sides, whichever pane typed the command (`nsenter -n` from the
 * host pane configures the container's side just as well).
 */
import { z } from 'zod';
import type { IpLink } from '../kernel/netlink.ts';
import { ipv4ToNumber, RTF_GATEWAY, RTF_REJECT, RTF_UP, type Route } from '../kernel/net.ts';
import { error, gone, predicate, subject, type Subject, type Verdict } from './types.ts';
import type { KernelView, ProcView } from './view.ts';

interface Pair {
  readonly here: IpLink;
  readonly there: IpLink;
}

interface Sides {
  readonly a: ProcView;
  readonly b: ProcView;
  readonly aLinks: IpLink[];
  readonly bLinks: IpLink[];
  readonly pairs: Pair[];
}

const veths = (links: readonly IpLink[]) => links.filter((l) => l.kind === 'veth');

/** Pairs with one end in each namespace: each end's peer index is the other's ifindex, across namespaces. */
function crossPairs(a: readonly IpLink[], b: readonly IpLink[]): Pair[] {
  const pairs: Pair[] = [];
  for (const here of veths(a)) {
    if (here.linkNetnsid === null) continue;
    const there = veths(b).find((t) => t.linkNetnsid !== null && t.ifindex === here.linkIndex && t.linkIndex === here.ifindex);
    if (there) pairs.push({ here, there });
  }
  return pairs;
}

async function sides(view: KernelView, a: Subject, b: Subject): Promise<Sides | Verdict<never> | 'same'> {
  const pa = view.subject(a);
  if (!pa) return gone(a);
  const pb = view.subject(b);
  if (!pb) return gone(b);
  if (pa.ns('net') !== null && pa.ns('net') === pb.ns('net')) return 'same';
  let aLinks: IpLink[] | null;
  let bLinks: IpLink[] | null;
  try {
    [aLinks, bLinks] = await Promise.all([pa.links(), pb.links()]);
  } catch (e) {
    return error((e as Error).message);
  }
  if (!aLinks) return gone(a);
  if (!bLinks) return gone(b);
  return { a: pa, b: pb, aLinks, bLinks, pairs: crossPairs(aLinks, bLinks) };
}

const isVerdict = (v: unknown): v is Verdict<never> => typeof v === 'object' && v !== null && 'code' in v;

/** Both sides with at least one pair across, or the verdict that says why not ('no-pair'). */
async function paired(view: KernelView, a: Subject, b: Subject, facts: Record<string, string>): Promise<Sides | Verdict<'no-pair'>> {
  const s = await sides(view, a, b);
  if (s === 'same') return { code: 'no-pair', facts };
  if (isVerdict(s)) return s;
  return s.pairs.length === 0 ? { code: 'no-pair', facts } : s;
}

export const vethPair = predicate({
  name: 'veth.pair',
  params: z.strictObject({
    subject,
    /** Where the peer must be; without it, both ends are in the subject's namespace. */
    peerIn: subject.optional(),
    /** A namespace the pair must not be made in (for the message: the wrong pane). */
    notIn: subject.optional(),
  }),
  codes: ['none', 'wrong-namespace', 'both-here', 'both-there', 'peer-elsewhere', 'same-namespace'],
  async evaluate(view, p) {
    const facts = { subject: p.subject, ...(p.peerIn ? { peerIn: p.peerIn } : {}), ...(p.notIn ? { notIn: p.notIn } : {}) };
    const proc = view.subject(p.subject);
    if (!proc) return gone(p.subject);
    let mine: IpLink[] | null;
    try {
      mine = await proc.links();
    } catch (e) {
      return error((e as Error).message);
    }
    if (!mine) return gone(p.subject);
    const names = (ls: readonly IpLink[]) => ls.map((l) => l.ifname);
    if (!p.peerIn) {
      const local = veths(mine).filter((l) => l.linkName !== null);
      if (local.length > 0) return { code: 'pass', facts: { ...facts, ends: names(local) } };
      if (veths(mine).length > 0) return { code: 'pass', facts: { ...facts, ends: names(veths(mine)) } };
      const wrong = p.notIn ? view.subject(p.notIn) : null;
      const theirs = wrong && wrong.ns('net') !== proc.ns('net') ? veths((await wrong.links().catch(() => null)) ?? []) : [];
      return { code: theirs.length > 0 ? 'wrong-namespace' : 'none', facts: { ...facts, ends: names(theirs) } };
    }
    const s = await sides(view, p.subject, p.peerIn);
    if (s === 'same') return { code: 'same-namespace', facts };
    if (isVerdict(s)) return s;
    if (s.pairs.length > 0) return { code: 'pass', facts: { ...facts, here: s.pairs[0]!.here.ifname, there: s.pairs[0]!.there.ifname } };
    const localThere = veths(s.bLinks).filter((l) => l.linkName !== null);
    if (localThere.length > 0) return { code: 'both-there', facts: { ...facts, ends: names(localThere) } };
    const localHere = veths(s.aLinks).filter((l) => l.linkName !== null);
    if (localHere.length > 0) return { code: 'both-here', facts: { ...facts, ends: names(localHere) } };
    const astray = [...veths(s.aLinks), ...veths(s.bLinks)];
    if (astray.length > 0) return { code: 'peer-elsewhere', facts: { ...facts, ends: names(astray) } };
    return { code: 'none', facts };
  },
});

/** Connected routes through `iface`: up, no gateway, not a reject route. */
function connected(routes: readonly Route[], iface: string): Route[] {
  return routes.filter((r) => r.iface === iface && (r.flags & RTF_UP) !== 0 && (r.flags & (RTF_GATEWAY | RTF_REJECT)) === 0);
}

function covers(route: Route, address: string): boolean {
  const mask = ipv4ToNumber(route.mask);
  return ((ipv4ToNumber(address) & mask) >>> 0) === ((ipv4ToNumber(route.destination) & mask) >>> 0);
}

const ipv4 = (l: IpLink) => l.addresses.filter((a) => a.family === 'inet').map((a) => a.local);

/**
 * The subject's end of the pair to `peerIn` is ready: it has an IPv4 address and is up, with a
 * connected route through it (a subnet address, or a point-to-point one with `peer`).
 */
export const netAddressed = predicate({
  name: 'net.addressed',
  params: z.strictObject({ subject, peerIn: subject }),
  codes: ['no-pair', 'no-address', 'down', 'no-route'],
  async evaluate(view, p) {
    const facts = { subject: p.subject, peerIn: p.peerIn };
    const s = await paired(view, p.subject, p.peerIn, facts);
    if ('code' in s) return s;
    let worst: Verdict<'no-address' | 'down' | 'no-route'> | null = null;
    for (const { here } of s.pairs) {
      const addresses = ipv4(here);
      const f = { ...facts, end: here.ifname, addresses };
      if (addresses.length === 0) worst ??= { code: 'no-address', facts: f };
      else if (!here.flags.includes('UP')) worst = { code: 'down', facts: f };
      else if (connected(s.a.routes() ?? [], here.ifname).length === 0) worst = { code: 'no-route', facts: f };
      else return { code: 'pass', facts: f };
    }
    return worst!;
  },
});

/** Each end has a connected route that covers an address of the other end: they are on one link. */
export const netOnLink = predicate({
  name: 'net.onLink',
  params: z.strictObject({ subject, peerIn: subject }),
  codes: ['no-pair', 'not-ready', 'same-address', 'no-route'],
  async evaluate(view, p) {
    const facts = { subject: p.subject, peerIn: p.peerIn };
    const s = await paired(view, p.subject, p.peerIn, facts);
    if ('code' in s) return s;
    let found: Verdict<'not-ready' | 'same-address' | 'no-route'> = { code: 'not-ready', facts };
    for (const { here, there } of s.pairs) {
      const mine = ipv4(here);
      const theirs = ipv4(there);
      const rh = connected(s.a.routes() ?? [], here.ifname);
      const rt = connected(s.b.routes() ?? [], there.ifname);
      if (mine.length === 0 || theirs.length === 0 || rh.length === 0 || rt.length === 0) continue;
      const f = { ...facts, here: here.ifname, there: there.ifname, mine, theirs };
      if (mine.some((a) => theirs.includes(a))) {
        found = { code: 'same-address', facts: f };
        continue;
      }
      const ab = theirs.some((t) => rh.some((r) => covers(r, t)));
      const ba = mine.some((m) => rt.some((r) => covers(r, m)));
      if (ab && ba) return { code: 'pass', facts: f };
      found = { code: 'no-route', facts: f };
    }
    return found;
  },
});

/**
 * A ping from `from` to `to` crossed the veth pair and was answered. The ICMP counters
 * (net/snmp) are per namespace, and a ping of one's own address over lo adds to them too; so
 * besides both halves of an exchange (the far side answered, this side got a reply) the
 * neighbour table must show the far end: a packet to it left through this end, and the far
 * end answered ARP with its own MAC (a loopback ping never asks).
 */
export const netPinged = predicate({
  name: 'net.pinged',
  params: z.strictObject({ from: subject, to: subject }),
  codes: ['no-pair', 'not-sent', 'not-across', 'unanswered'],
  async evaluate(view, p) {
    const facts = { from: p.from, to: p.to };
    const s = await paired(view, p.from, p.to, facts);
    if ('code' in s) return s;
    const src = s.a.icmp();
    const dst = s.b.icmp();
    const arp = s.a.arp();
    if (!src || !arp) return gone(p.from);
    if (!dst) return gone(p.to);
    const counts = { ...facts, sent: src.OutEchos, received: dst.InEchos, answered: dst.OutEchoReps, replies: src.InEchoReps };
    if (src.OutEchos === 0) return { code: 'not-sent', facts: counts };
    const across = s.pairs.some(({ here, there }) =>
      arp.some((e) => e.complete && e.iface === here.ifname && there.mac !== null && e.mac === there.mac.toLowerCase() && ipv4(there).includes(e.address)),
    );
    if (!across || dst.InEchos === 0) return { code: 'not-across', facts: { ...counts, selfReplies: src.InEchoReps > 0 } };
    if (dst.OutEchoReps === 0 || src.InEchoReps === 0) return { code: 'unanswered', facts: counts };
    return { code: 'pass', facts: counts };
  },
});

export const NET_PREDICATES = [vethPair, netAddressed, netOnLink, netPinged];
