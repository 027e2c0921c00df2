/**
 * A process's network namespace seen through /proc/<pid>/net/* (proc(5)), readable from the
 * real machine without entering anything: links and counters (dev), ICMP counters (snmp), local
 * IPv4 addresses (fib_trie), the main routing table (route) and IPv6 addresses (if_inet6).
 */
import { endianness } from 'node:os';
import { readProcText } from './proc.ts';

// ---------------------------------------------------------------------------------------------
// net/dev

export interface NetDevStats {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  rxErrors: number;
  rxDropped: number;
  txBytes: number;
  txPackets: number;
  txErrors: number;
  txDropped: number;
}

/**
 * Parses /proc/<pid>/net/dev: two header lines, then "<name>: <8 receive> <8 transmit>".
 * The name is right-aligned to 6 columns and a long counter can follow the colon without a
 * space, so split at the colon (interface names cannot contain one).
 */
export function parseNetDev(text: string): NetDevStats[] {
  const result: NetDevStats[] = [];
  for (const line of text.split('\n')) {
    if (line.includes('|')) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    const n = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!iface || n.length < 16 || n.some((x) => !Number.isFinite(x))) continue;
    result.push({
      iface,
      rxBytes: n[0]!,
      rxPackets: n[1]!,
      rxErrors: n[2]!,
      rxDropped: n[3]!,
      txBytes: n[8]!,
      txPackets: n[9]!,
      txErrors: n[10]!,
      txDropped: n[11]!,
    });
  }
  return result;
}

/** The interfaces of the process's network namespace with their counters; null when gone. */
export function readNetDev(pid: number): NetDevStats[] | null {
  const text = readProcText(pid, 'net/dev');
  return text === null ? null : parseNetDev(text);
}

// ---------------------------------------------------------------------------------------------
// net/snmp

/** Parses /proc/<pid>/net/snmp: pairs of "Section: names" / "Section: values" lines. */
export function parseSnmp(text: string): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  const headers = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const section = line.slice(0, colon);
    const words = line.slice(colon + 1).trim().split(/\s+/).filter(Boolean);
    const names = headers.get(section);
    if (!names) {
      headers.set(section, words);
      continue;
    }
    headers.delete(section);
    const values: Record<string, number> = {};
    names.forEach((name, i) => {
      values[name] = Number(words[i]);
    });
    result[section] = values;
  }
  return result;
}

export interface IcmpCounters {
  /** Echo requests received (someone pinged this namespace). */
  InEchos: number;
  /** Echo replies received (a ping from this namespace got an answer). */
  InEchoReps: number;
  /** Echo requests sent. */
  OutEchos: number;
  /** Echo replies sent. */
  OutEchoReps: number;
  /** Every field of the Icmp: section. */
  fields: Record<string, number>;
}

export function parseIcmpCounters(text: string): IcmpCounters | null {
  const icmp = parseSnmp(text)['Icmp'];
  if (!icmp) return null;
  return {
    InEchos: icmp['InEchos'] ?? 0,
    InEchoReps: icmp['InEchoReps'] ?? 0,
    OutEchos: icmp['OutEchos'] ?? 0,
    OutEchoReps: icmp['OutEchoReps'] ?? 0,
    fields: icmp,
  };
}

/**
 * ICMP counters of the process's network namespace; null when gone. Note: "ping" sockets
 * (unprivileged ICMP, net.ipv4.ping_group_range) are counted here too.
 */
export function readIcmpCounters(pid: number): IcmpCounters | null {
  const text = readProcText(pid, 'net/snmp');
  return text === null ? null : parseIcmpCounters(text);
}

// ---------------------------------------------------------------------------------------------
// net/fib_trie

export interface FibEntry {
  /** "Main" or "Local" (the kernel prints both; with no policy rules they are the same trie). */
  table: string;
  address: string;
  prefixLength: number;
  /** universe, link, host, ... */
  scope: string;
  /** UNICAST, LOCAL, BROADCAST, ... */
  type: string;
}

/** Parses /proc/<pid>/net/fib_trie into its leaves ("|-- a.b.c.d" then "/len scope TYPE" lines). */
export function parseFibTrie(text: string): FibEntry[] {
  const result: FibEntry[] = [];
  let table = '';
  let leaf: string | null = null;
  for (const line of text.split('\n')) {
    if (/^\S.*:\s*$/.test(line)) {
      table = line.trim().slice(0, -1);
      leaf = null;
      continue;
    }
    const leafMatch = /^\s*\|-- (\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (leafMatch) {
      leaf = leafMatch[1]!;
      continue;
    }
    const info = /^\s*\/(\d+) (\S+) (\S+)/.exec(line);
    if (info && leaf !== null) {
      result.push({ table, address: leaf, prefixLength: Number(info[1]), scope: info[2]!, type: info[3]! });
      continue;
    }
    if (/^\s*\+--/.test(line)) leaf = null;
  }
  return result;
}

/** The local IPv4 addresses ("/32 host LOCAL" leaves), each once, in trie order. */
export function parseLocalIPv4(text: string): string[] {
  const seen = new Set<string>();
  for (const e of parseFibTrie(text)) {
    if (e.prefixLength === 32 && e.scope === 'host' && e.type === 'LOCAL') seen.add(e.address);
  }
  return [...seen];
}

/** IPv4 addresses assigned in the process's network namespace; null when gone. */
export function readLocalIPv4(pid: number): string[] | null {
  const text = readProcText(pid, 'net/fib_trie');
  return text === null ? null : parseLocalIPv4(text);
}

// ---------------------------------------------------------------------------------------------
// net/route

export const RTF_UP = 0x0001;
export const RTF_GATEWAY = 0x0002;
export const RTF_HOST = 0x0004;
export const RTF_REJECT = 0x0200;

export interface Route {
  iface: string;
  destination: string;
  gateway: string;
  mask: string;
  prefixLength: number;
  flags: number;
  metric: number;
}

/**
 * /proc/net/route prints each address as %08X of the network-order 32-bit word read as a host
 * integer, so on a little-endian machine "0100A8C0" is 192.168.0.1.
 */
export function hexToIPv4(hex: string, littleEndian = endianness() === 'LE'): string {
  const buf = Buffer.alloc(4);
  const n = parseInt(hex, 16) >>> 0;
  if (littleEndian) buf.writeUInt32LE(n);
  else buf.writeUInt32BE(n);
  return [...buf].join('.');
}

export function ipv4ToNumber(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new RangeError(`not an IPv4 address: ${address}`);
  }
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function maskLength(mask: string): number {
  let n = ipv4ToNumber(mask);
  let len = 0;
  while (n & 0x80000000) {
    len++;
    n = (n << 1) >>> 0;
  }
  return len;
}

/** Parses /proc/<pid>/net/route (the main routing table, IPv4). */
export function parseRoutes(text: string, littleEndian = endianness() === 'LE'): Route[] {
  const result: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const mask = hexToIPv4(f[7]!, littleEndian);
    result.push({
      iface: f[0]!,
      destination: hexToIPv4(f[1]!, littleEndian),
      gateway: hexToIPv4(f[2]!, littleEndian),
      flags: parseInt(f[3]!, 16),
      metric: Number(f[6]),
      mask,
      prefixLength: maskLength(mask),
    });
  }
  return result;
}

/** The main routing table of the process's network namespace; null when gone. */
export function readRoutes(pid: number): Route[] | null {
  const text = readProcText(pid, 'net/route');
  return text === null ? null : parseRoutes(text);
}

// ---------------------------------------------------------------------------------------------
// net/if_inet6

export interface Inet6Address {
  iface: string;
  /** RFC 5952 text form, e.g. "fe80::1". */
  address: string;
  ifindex: number;
  prefixLength: number;
  /** 0x00 global, 0x10 host, 0x20 link, 0x40 site, 0x80 compat (RFC 4291 scopes as the kernel stores them). */
  scope: number;
  scopeName: 'global' | 'host' | 'link' | 'site' | 'compat' | 'other';
  /** IFA_F_* flags (0x80 permanent, 0x40 tentative, 0x20 deprecated, ...). */
  flags: number;
}

/** "fe800000000000000000000000000001" → "fe80::1" (RFC 5952: longest zero run of two or more groups). */
export function formatIPv6(hex32: string): string {
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex32.slice(i, i + 4), 16).toString(16));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

const SCOPES: Record<number, Inet6Address['scopeName']> = { 0x00: 'global', 0x10: 'host', 0x20: 'link', 0x40: 'site', 0x80: 'compat' };

/** Parses /proc/<pid>/net/if_inet6: "<32 hex> <ifindex> <plen> <scope> <flags> <name>", all hex. */
export function parseIfInet6(text: string): Inet6Address[] {
  const result: Inet6Address[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0]!)) continue;
    const scope = parseInt(f[3]!, 16);
    result.push({
      iface: f[5]!,
      address: formatIPv6(f[0]!),
      ifindex: parseInt(f[1]!, 16),
      prefixLength: parseInt(f[2]!, 16),
      scope,
      scopeName: SCOPES[scope] ?? 'other',
      flags: parseInt(f[4]!, 16),
    });
  }
  return result;
}

/** IPv6 addresses of the process's network namespace; null when gone ([] when IPv6 is off). */
export function readInet6Addresses(pid: number): Inet6Address[] | null {
  // Without IPv6 (ipv6.disable=1) the file does not exist; the process may still be alive.
  const text = readProcText(pid, 'net/if_inet6');
  if (text !== null) return parseIfInet6(text);
  return readProcText(pid, 'net/dev') === null ? null : [];
}

// ---------------------------------------------------------------------------------------------
// interface → IPv4 addresses

export interface AddressAttribution {
  /** Every interface named in `ifaces` (empty list when none of its addresses is known), then others. */
  byInterface: Map<string, string[]>;
  /** Local addresses no connected route (or more than one interface's) contains. */
  unattributed: string[];
}

function inSubnet(address: string, route: Route): boolean {
  if (route.prefixLength === 0) return false;
  const mask = ipv4ToNumber(route.mask);
  return ((ipv4ToNumber(address) & mask) >>> 0) === ((ipv4ToNumber(route.destination) & mask) >>> 0);
}

/**
 * Assigns each local IPv4 address to the interface whose connected route contains it.
 *
 * /proc has no file that lists IPv4 addresses per interface (that is netlink, `ip addr`), so this
 * infers it, and the inference has limits:
 * - Only connected routes count: up, no gateway, not reject, prefix longer than /0. The kernel
 *   removes them while a link is down, so an address on a down interface is unattributed, and
 *   so is an address added with `noprefixroute`, a /32 address, or a point-to-point ("peer")
 *   address. A route added by hand (`ip route add 10.9.0.0/16 dev X`) claims local addresses in
 *   it for X even if they are configured on another interface.
 * - The longest prefix wins; two interfaces with connected routes of the same length to the
 *   same subnet make the address ambiguous (unattributed).
 * - Loopback routes live in the "local" table, which net/route does not show; addresses in
 *   127.0.0.0/8 are given to "lo" when it exists.
 * - IPv4 only; for IPv6 use readInet6Addresses (if_inet6 names the interface).
 */
export function attributeAddresses(
  routes: readonly Route[],
  locals: readonly string[],
  ifaces: readonly string[] = [],
): AddressAttribution {
  const byInterface = new Map<string, string[]>();
  for (const iface of ifaces) byInterface.set(iface, []);
  const unattributed: string[] = [];
  const connected = routes.filter(
    (r) => (r.flags & RTF_UP) !== 0 && (r.flags & (RTF_GATEWAY | RTF_REJECT)) === 0 && r.gateway === '0.0.0.0' && r.iface !== '*',
  );
  const add = (iface: string, address: string) => {
    const list = byInterface.get(iface) ?? [];
    if (!list.includes(address)) list.push(address);
    byInterface.set(iface, list);
  };
  for (const address of locals) {
    const matches = connected.filter((r) => inSubnet(address, r));
    const longest = Math.max(-1, ...matches.map((r) => r.prefixLength));
    const owners = new Set(matches.filter((r) => r.prefixLength === longest).map((r) => r.iface));
    if (owners.size === 1) add([...owners][0]!, address);
    else if (owners.size === 0 && address.startsWith('127.') && (ifaces.length === 0 || ifaces.includes('lo'))) add('lo', address);
    else unattributed.push(address);
  }
  return { byInterface, unattributed };
}

/**
 * The IPv4 addresses of each interface of the process's network namespace (see
 * attributeAddresses for how and where this inference falls short). Every interface of
 * net/dev is a key, with [] when no address could be given to it. Null when gone.
 */
export function interfaceAddresses(pid: number): Map<string, string[]> | null {
  const dev = readNetDev(pid);
  const routes = readRoutes(pid);
  const locals = readLocalIPv4(pid);
  if (dev === null || routes === null || locals === null) return null;
  return attributeAddresses(
    routes,
    locals,
    dev.map((d) => d.iface),
  ).byInterface;
}
