/**
 * veth pairing: plug the container into the lab host with a virtual Ethernet cable. Create a
 * veth pair on the lab host, move one end into the container's network namespace, give both
 * ends an address in one subnet, bring them up, and ping across in both directions.
 *
 * Follows seed 001 ("Create Your Own Linux Container Using Namespaces", the network part):
 * `ip link add name hosteth0 type veth peer name cteth0`, `ip link set cteth0 netns $CPID`,
 * `ip a add 192.168.0.2/24 dev cteth0`, `ip l set cteth0 up` (and the same on the host side
 * with 192.168.0.1/24), then ping each way.
 *
 * Kernel facts this lab relies on (verified on this machine kind, inside the lab world):
 * - /proc does not say which interfaces are veths, nor which one is whose peer (that is
 *   netlink: IFLA_LINK and IFLA_LINK_NETNSID; /sys is not mounted in the lab host). One probe
 *   per check run asks `ip -j addr show type veth` in the lab host and, through nsenter, in the
 *   container's network namespace (15-25 ms). A peer in the same namespace is given by name
 *   ("link"); a peer elsewhere by its ifindex there ("link_index") plus "link_netnsid". A pair
 *   joins the lab host and the container when each end's link_index is the other's ifindex.
 * - A connected route (net/route: up, no gateway) exists only while the interface is up and has
 *   an address; that is how the checks see "addressed and up" from /proc.
 * - Root in the lab host and in the container may ping (CAP_NET_RAW in the lab's user
 *   namespace). The container's lo starts down, so the container cannot ping its own address:
 *   such a ping is lost and no reply is counted.
 * - ICMP counters (net/snmp) start at 0 in every fresh namespace of a fresh lab world, so
 *   "more than zero" means "since this lab started". Limit: a self-ping answered on the same
 *   side adds to the same counters as a ping across (InEchos/OutEchoReps/InEchoReps), so the
 *   checks ask for both halves of an exchange (the far side answered AND this side got a reply);
 *   only self-pings on both sides at once (with the container's lo brought up) would fool them.
 */
import { ipv4ToNumber, readIcmpCounters, readLocalIPv4, readNetDev, readRoutes, RTF_GATEWAY, RTF_REJECT, RTF_UP, type Route } from '../src/kernel/net.ts';
import type { CheckContext } from '../src/labs/context.ts';
import { labHostPidOf } from '../src/labs/facts.ts';
import type { CheckResult, Lab } from '../src/labs/legacy.ts';

// ---------------------------------------------------------------------------------------------
// The veth probe: what `ip` says about the veths of the lab host and of the container.

interface VethEnd {
  readonly ifindex: number;
  readonly name: string;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** The peer's name, when the peer is in the same network namespace. */
  readonly peerName: string | null;
  /** The peer's ifindex in its own namespace, when that namespace is another one. */
  readonly peerIndex: number | null;
  /** IPv4 addresses as "a.b.c.d/len", whatever the link state. */
  readonly addresses: readonly string[];
}

interface VethView {
  /** Veths of the lab host's network namespace. */
  readonly host: readonly VethEnd[];
  /** Veths of the container's network namespace; null when the container is gone. */
  readonly container: readonly VethEnd[] | null;
}

interface Pair {
  readonly host: VethEnd;
  readonly container: VethEnd;
}

interface IpJsonLink {
  ifindex?: number;
  ifname?: string;
  flags?: string[];
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number }>;
}

function parseIpJson(text: string): VethEnd[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const links = JSON.parse(trimmed) as IpJsonLink[];
  return links
    .filter((l) => typeof l.ifindex === 'number' && typeof l.ifname === 'string')
    .map((l) => ({
      ifindex: l.ifindex!,
      name: l.ifname!,
      up: (l.flags ?? []).includes('UP'),
      peerName: typeof l.link === 'string' && l.link_netnsid === undefined ? l.link : null,
      peerIndex: typeof l.link_index === 'number' && l.link_netnsid !== undefined ? l.link_index : null,
      addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet' && a.local).map((a) => `${a.local}/${a.prefixlen ?? 32}`),
    }));
}

const MARK = '--- nslab container ---';

async function probe(ctx: CheckContext): Promise<VethView> {
  // The container's first process as the lab host numbers it ($CPID), or null when gone.
  const cpid = labHostPidOf(ctx.containerInit);
  const script = [
    'ip -j addr show type veth',
    `echo '${MARK}'`,
    cpid === null ? 'true' : `nsenter -t ${cpid} -n ip -j addr show type veth || echo gone`,
  ].join('\n');
  const result = await ctx.exec(script);
  const [hostPart = '', containerPart] = result.stdout.split(`${MARK}\n`);
  if (result.code !== 0 && !result.stdout.includes(MARK)) {
    throw new Error(`ip failed in the lab host: ${result.stderr.trim() || `exit ${result.code}`}`);
  }
  const host = parseIpJson(hostPart);
  const gone = cpid === null || containerPart === undefined || containerPart.trim() === 'gone';
  return { host, container: gone ? null : parseIpJson(containerPart) };
}

/** One probe per check run: the checks of a step share it (runChecks builds one context each time). */
const probes = new WeakMap<CheckContext, Promise<VethView>>();
function vethView(ctx: CheckContext): Promise<VethView> {
  let view = probes.get(ctx);
  if (!view) {
    view = probe(ctx);
    probes.set(ctx, view);
  }
  return view;
}

/** Pairs with one end in the lab host and the other in the container. */
function crossPairs(view: VethView): Pair[] {
  const pairs: Pair[] = [];
  for (const h of view.host) {
    const c = view.container?.find((c) => c.peerIndex === h.ifindex && h.peerIndex === c.ifindex);
    if (c) pairs.push({ host: h, container: c });
  }
  return pairs;
}

function names(ends: readonly VethEnd[]): string {
  return ends.map((e) => e.name).join(', ');
}

function nonLoopback(pid: number): string[] | null {
  return readNetDev(pid)?.map((d) => d.iface).filter((i) => i !== 'lo') ?? null;
}

/** Where each veth of the lab host has its peer, one phrase per pair. */
function describeHostEnds(view: VethView): string {
  if (view.host.length === 0) return 'the lab host has no veth at all';
  const said = new Set<string>();
  const phrases: string[] = [];
  for (const h of view.host) {
    if (said.has(h.name)) continue;
    said.add(h.name);
    if (h.peerName !== null) {
      said.add(h.peerName);
      const [a, b] = [h.name, h.peerName].sort();
      phrases.push(`${a} and ${b} are both on the lab host`);
    } else if (crossPairs(view).some((p) => p.host === h)) {
      phrases.push(`${h.name}'s peer is in the container`);
    } else {
      phrases.push(`${h.name}'s peer is in a network namespace that is neither the lab host's nor the container's (was the pid after \`netns\` the container's?)`);
    }
  }
  return phrases.join('; ');
}

const NO_PAIR = 'no veth pair joins the lab host and the container yet (steps 1 and 2)';

// ---------------------------------------------------------------------------------------------
// Addresses and connected routes, from /proc.

function connectedRoutes(pid: number, iface: string): Route[] {
  return (readRoutes(pid) ?? []).filter(
    (r) => r.iface === iface && (r.flags & RTF_UP) !== 0 && (r.flags & (RTF_GATEWAY | RTF_REJECT)) === 0 && r.prefixLength > 0,
  );
}

function inRoute(address: string, route: Route): boolean {
  const mask = ipv4ToNumber(route.mask);
  return ((ipv4ToNumber(address) & mask) >>> 0) === ((ipv4ToNumber(route.destination) & mask) >>> 0);
}

interface EndState {
  readonly end: VethEnd;
  /** Connected routes through this end (it is up and has an address). */
  readonly routes: Route[];
  /** Local addresses of the namespace that those routes cover. */
  readonly addresses: string[];
}

function endState(pid: number, end: VethEnd): EndState {
  const routes = connectedRoutes(pid, end.name);
  const locals = readLocalIPv4(pid) ?? [];
  return { end, routes, addresses: locals.filter((a) => routes.some((r) => inRoute(a, r))) };
}

function describeEnd(state: EndState, side: string): string {
  const { end } = state;
  if (state.addresses.length > 0) {
    const nets = state.routes.map((r) => `${r.destination}/${r.prefixLength}`).join(', ');
    return `${side} end ${end.name} is up with ${state.addresses.join(', ')} (connected route to ${nets})`;
  }
  if (end.addresses.length === 0 && !end.up) return `${side} end ${end.name} has no IPv4 address and is down`;
  if (end.addresses.length === 0) return `${side} end ${end.name} is up but has no IPv4 address`;
  if (!end.up) return `${side} end ${end.name} has ${end.addresses.join(', ')} but is down, so no route uses it yet`;
  return `${side} end ${end.name} has ${end.addresses.join(', ')} but no connected route (a /32 or noprefixroute address?): give it a prefix such as /24`;
}

/** The lab host's or the container's end of the pair is addressed and up. */
function endReady(side: 'host' | 'container'): (ctx: CheckContext) => Promise<CheckResult> {
  return async (ctx) => {
    const who = side === 'host' ? "the lab host's" : "the container's";
    const expected = `${who} end of the veth pair has an IPv4 address and is up (a connected route uses it)`;
    const pairs = crossPairs(await vethView(ctx));
    if (pairs.length === 0) return { pass: false, expected, found: NO_PAIR };
    const pid = side === 'host' ? ctx.labHost : ctx.containerInit;
    const states = pairs.map((p) => endState(pid, p[side]));
    const ready = states.find((s) => s.addresses.length > 0);
    return { pass: ready !== undefined, expected, found: describeEnd(ready ?? states[0]!, who) };
  };
}

// ---------------------------------------------------------------------------------------------
// Pings, from the ICMP counters of both namespaces.

function pingCheck(from: 'host' | 'container'): (ctx: CheckContext) => CheckResult {
  return (ctx) => {
    const [src, dst] = from === 'host' ? ['the lab host', 'the container'] : ['the container', 'the lab host'];
    const expected = `a ping from ${src} to ${dst} was answered`;
    const host = readIcmpCounters(ctx.labHost);
    const container = readIcmpCounters(ctx.containerInit);
    if (!host || !container) return { pass: false, expected, found: 'the container has exited' };
    const [s, d] = from === 'host' ? [host, container] : [container, host];
    if (s.InEchoReps > 0 && d.OutEchoReps > 0) {
      return { pass: true, expected, found: `${src} got ${s.InEchoReps} echo repl${s.InEchoReps === 1 ? 'y' : 'ies'}; ${dst} answered ${d.OutEchoReps}` };
    }
    let found: string;
    if (s.OutEchos === 0) found = `no ping has been sent from ${src} yet (type it in the ${from} pane)`;
    else if (d.InEchos === 0 && s.InEchoReps > 0) found = `${src} pinged itself: its requests never reached ${dst}; ping the address of the other end`;
    else if (d.InEchos === 0) found = `${src} sent ${s.OutEchos} echo request(s) but none reached ${dst}; ping the address on the other end of the pair`;
    else found = `${dst} received ${d.InEchos} echo request(s) but ${src} got no reply`;
    return { pass: false, expected, found };
  };
}

// ---------------------------------------------------------------------------------------------

const lab: Lab = {
  id: 'veth-pairing',
  title: 'veth pairs: a network cable for the container',
  summary:
    'Connect the container to the lab host with a virtual Ethernet cable: create a veth pair, move one end into the container\'s network namespace, address both ends, bring them up, and ping across both ways.',
  source: 'seeds/001 (Create Your Own Linux Container Using Namespaces: the veth part)',
  start: {
    container: { namespaces: ['mount', 'pid', 'net', 'uts', 'ipc'], root: 'pivot', proc: true, hostname: 'container' },
  },
  steps: [
    {
      id: 'create-pair',
      title: 'Create a veth pair on the lab host',
      goal:
        'The container has a network namespace of its own: `ip link` in the container pane shows only lo, and it is down. A veth pair is two virtual Ethernet interfaces joined like the ends of a cable: what goes into one comes out of the other. Create one in the host pane; you choose both names.',
      hints: [
        '`ip link add` creates an interface; its `type` says what kind.',
        'A veth is always created together with its peer: `ip link add <name> type veth peer name <other name>`. Run it in the host pane, not in the container.',
        'In the host pane: `ip link add name hosteth0 type veth peer name cteth0`, then `ip link` lists both ends.',
      ],
      solution: [{ pane: 'host', command: 'ip link add name hosteth0 type veth peer name cteth0' }],
      checks: [
        {
          id: 'veth-on-host',
          title: 'The lab host has a veth pair',
          async run(ctx) {
            const expected = 'a veth pair created in the lab host\'s network namespace';
            const view = await vethView(ctx);
            if (view.host.length > 0) return { pass: true, expected, found: `the lab host has a veth: ${describeHostEnds(view)}` };
            const others = nonLoopback(ctx.labHost) ?? [];
            const parts = [others.length > 0 ? `the lab host has no veth; its other links (${others.join(', ')}) are of another type` : 'the lab host has no veth: only lo'];
            if (view.container && view.container.length > 0) {
              parts.push(`the container has ${names(view.container)}: the pair was created in the container pane; delete it there (\`ip link del ${view.container[0]!.name}\`) and create it in the host pane`);
            }
            return { pass: false, expected, found: parts.join('; ') };
          },
        },
      ],
    },
    {
      id: 'move-end',
      title: 'Move one end into the container',
      goal:
        'Both ends are still in the lab host\'s network namespace, so the container sees nothing new. `ip` can move an interface into another network namespace, named by the pid of any process that lives in it. In the host pane, $CPID is the container\'s first process. Move one end into the container\'s namespace and leave the other on the lab host.',
      hints: [
        '`ip link set <interface> netns ...` moves an interface to another network namespace.',
        '`netns` takes a pid, and the interface goes to that process\'s network namespace. Which pid belongs to the container? `echo $CPID` in the host pane.',
        'In the host pane: `ip link set cteth0 netns $CPID`; then `ip link` in the container pane shows cteth0.',
      ],
      solution: [{ pane: 'host', command: 'ip link set cteth0 netns $CPID' }],
      checks: [
        {
          id: 'veth-in-container',
          title: 'The container has a veth end',
          async run(ctx) {
            const expected = 'a veth in the container\'s network namespace';
            const view = await vethView(ctx);
            if (view.container === null) return { pass: false, expected, found: 'the container has exited' };
            if (view.container.length > 0) return { pass: true, expected, found: `the container has ${names(view.container)}` };
            return { pass: false, expected, found: `the container's network namespace has no veth; ${describeHostEnds(view)}` };
          },
        },
        {
          id: 'peer-on-host',
          title: 'Its peer stays on the lab host',
          async run(ctx) {
            const expected = 'one end in the container and its peer in the lab host';
            const view = await vethView(ctx);
            if (view.container === null) return { pass: false, expected, found: 'the container has exited' };
            const pairs = crossPairs(view);
            if (pairs.length > 0) {
              return { pass: true, expected, found: pairs.map((p) => `${p.container.name} in the container is paired with ${p.host.name} on the lab host`).join('; ') };
            }
            const both = view.container.filter((c) => c.peerName !== null);
            if (both.length > 0) {
              return {
                pass: false,
                expected,
                found: `both ends (${names(both)}) are in the container, so the lab host has none: move one back from the host pane (\`nsenter -t $CPID -n ip link set <name> netns 1\`) or delete the pair and start again`,
              };
            }
            const astray = view.container.filter((c) => c.peerIndex !== null);
            const parts = astray.map((c) => `${c.name}'s peer is in a network namespace that is not the lab host's`);
            return { pass: false, expected, found: [...parts, describeHostEnds(view)].join('; ') };
          },
        },
      ],
    },
    {
      id: 'address-up',
      title: 'Address both ends and bring them up',
      goal:
        'An interface needs an IPv4 address before it can carry a ping, and it starts down. Give each end an address, both in one subnet so each side knows the other is right on the link, and bring both ends up: the container\'s end from the container pane, the lab host\'s end from the host pane.',
      hints: [
        '`ip addr add <address>/<prefix length> dev <interface>` adds an address; `ip link set <interface> up` brings an interface up.',
        'Choose two addresses of one small network, for example 192.168.0.1/24 for the lab host and 192.168.0.2/24 for the container.',
        'Container pane: `ip addr add 192.168.0.2/24 dev cteth0` and `ip link set cteth0 up`. Host pane: `ip addr add 192.168.0.1/24 dev hosteth0` and `ip link set hosteth0 up`.',
      ],
      solution: [
        { pane: 'container', command: 'ip addr add 192.168.0.2/24 dev cteth0' },
        { pane: 'container', command: 'ip link set cteth0 up' },
        { pane: 'host', command: 'ip addr add 192.168.0.1/24 dev hosteth0' },
        { pane: 'host', command: 'ip link set hosteth0 up' },
      ],
      checks: [
        { id: 'host-end-ready', title: "The lab host's end has an address and is up", run: endReady('host') },
        { id: 'container-end-ready', title: "The container's end has an address and is up", run: endReady('container') },
        {
          id: 'one-subnet',
          title: 'Both ends are in one subnet, with different addresses',
          async run(ctx) {
            const expected = 'two different addresses, each inside the other end\'s connected subnet';
            const pairs = crossPairs(await vethView(ctx));
            if (pairs.length === 0) return { pass: false, expected, found: NO_PAIR };
            let found = '';
            for (const p of pairs) {
              const h = endState(ctx.labHost, p.host);
              const c = endState(ctx.containerInit, p.container);
              if (h.addresses.length === 0 || c.addresses.length === 0) {
                found ||= [h.addresses.length === 0 ? describeEnd(h, "the lab host's") : '', c.addresses.length === 0 ? describeEnd(c, "the container's") : '']
                  .filter(Boolean)
                  .join('; ');
                continue;
              }
              for (const a of h.addresses) {
                for (const b of c.addresses) {
                  if (a === b) {
                    found ||= `both ends have ${a}: each side must have an address of its own`;
                    continue;
                  }
                  if (h.routes.some((r) => inRoute(b, r)) && c.routes.some((r) => inRoute(a, r))) {
                    return { pass: true, expected, found: `${p.host.name} has ${a} and ${p.container.name} has ${b}, in one subnet` };
                  }
                  const nets = (s: EndState) => s.routes.map((r) => `${r.destination}/${r.prefixLength}`).join(', ');
                  found ||= `${p.host.name} has ${a} (${nets(h)}) and ${p.container.name} has ${b} (${nets(c)}): not one subnet, so neither side has a route to the other`;
                }
              }
            }
            return { pass: false, expected, found };
          },
        },
      ],
    },
    {
      id: 'ping',
      title: 'Ping both ways',
      goal:
        'The reward: send ICMP echo requests across the cable and watch the replies come back. From the host pane, ping the container\'s address; from the container pane, ping the lab host\'s.',
      hints: [
        'Each side pings the address of the other end, not its own.',
        '`ping -c 2 <address>` sends two echo requests and stops by itself (Ctrl-C stops an endless ping).',
        'Host pane: `ping -c 2 192.168.0.2`; container pane: `ping -c 2 192.168.0.1`.',
      ],
      solution: [
        { pane: 'host', command: 'ping -c 2 -W 1 192.168.0.2', waitMs: 1200 },
        { pane: 'container', command: 'ping -c 2 -W 1 192.168.0.1', waitMs: 1200 },
      ],
      checks: [
        { id: 'host-pinged-container', title: 'The lab host pinged the container and got replies', run: pingCheck('host') },
        { id: 'container-pinged-host', title: 'The container pinged the lab host and got replies', run: pingCheck('container') },
      ],
    },
  ],
};

export default lab;
