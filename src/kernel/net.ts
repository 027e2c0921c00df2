/**
 * A process's network namespace seen through /proc/<pid>/net/* (proc(5)), readable from the
 * real machine without entering anything: links and counters (dev), ICMP counters (snmp), local
 * IPv4 addresses (fib_trie) and the main routing table (route).
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
// net/arp

export interface ArpEntry {
  address: string;
  /** ATF_COM (0x2): the neighbour answered, its hardware address is known. */
  complete: boolean;
  mac: string;
  iface: string;
}

/** Parses /proc/<pid>/net/arp: "IP address  HW type  Flags  HW address  Mask  Device". */
export function parseArp(text: string): ArpEntry[] {
  const result: ArpEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    result.push({ address: f[0]!, complete: (parseInt(f[2]!, 16) & 0x2) !== 0, mac: f[3]!.toLowerCase(), iface: f[5]! });
  }
  return result;
}
