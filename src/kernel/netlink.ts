/**
 * Links and addresses of a process's network namespace, from nslab's own `ip -j` (iproute2).
 *
 * /proc shows interfaces and counters (net/dev) but not which interface is a veth nor where its
 * peer is: that is netlink (IFLA_LINK, IFLA_LINK_NETNSID). nslab asks its own, real `ip` — found
 * on nslab's PATH, in nslab's mount namespace — never one on the lab's PATH or in the lab's
 * files: the probe is `nsenter --net=/proc/self/fd/3 -- <nslab's ip> -j -d addr show`, where fd 3
 * is the namespace file nslab opened itself (so a recycled pid cannot redirect it). nsenter
 * enters only the network namespace (plus, for an ordinary owner, the lab's user namespace, which
 * setns(2) needs for CAP_SYS_ADMIN over it), so exec(2) of `ip` still resolves in nslab's mount
 * namespace, and the probe is in no pid namespace of the lab, where no lab process could see or
 * trace it.
 */
import { runProbe } from './probe.ts';
import { accessSync, closeSync, constants, openSync } from 'node:fs';
import { procPath } from './proc.ts';

export interface IpAddress {
  readonly family: 'inet' | 'inet6' | string;
  readonly local: string;
  readonly prefixlen: number;
  /** The peer of a point-to-point address (`ip addr add A peer B`). */
  readonly peer?: string;
}

export interface IpLink {
  readonly ifindex: number;
  readonly ifname: string;
  /** IFF_UP and friends as ip names them: UP, LOWER_UP, NO-CARRIER, ... */
  readonly flags: readonly string[];
  /** "veth", "bridge", ... (ip -d linkinfo.info_kind); null for none (lo, ...). */
  readonly kind: string | null;
  /** The MAC address. */
  readonly mac: string | null;
  /** The peer's ifindex (IFLA_LINK), in another namespace when `linkNetnsid` is set. */
  readonly linkIndex: number | null;
  /** The peer's name when it is in the same namespace. */
  readonly linkName: string | null;
  readonly linkNetnsid: number | null;
  readonly addresses: readonly IpAddress[];
}

interface IpJson {
  ifindex?: unknown;
  ifname?: unknown;
  flags?: unknown;
  address?: unknown;
  link?: unknown;
  link_index?: unknown;
  link_netnsid?: unknown;
  linkinfo?: { info_kind?: unknown };
  addr_info?: Array<{ family?: unknown; local?: unknown; prefixlen?: unknown; address?: unknown }>;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

/** Parses `ip -j -d addr show`. Throws on text that is not ip's JSON. */
export function parseIpJson(text: string): IpLink[] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const data = JSON.parse(trimmed) as unknown;
  if (!Array.isArray(data)) throw new Error('ip -j did not print a list');
  const links: IpLink[] = [];
  for (const l of data as IpJson[]) {
    const ifindex = num(l.ifindex);
    const ifname = str(l.ifname);
    if (ifindex === null || ifname === null) continue;
    const netnsid = num(l.link_netnsid);
    links.push({
      ifindex,
      ifname,
      flags: Array.isArray(l.flags) ? l.flags.filter((f): f is string => typeof f === 'string') : [],
      kind: str(l.linkinfo?.info_kind),
      mac: str(l.address),
      linkIndex: num(l.link_index),
      linkName: netnsid === null ? str(l.link) : null,
      linkNetnsid: netnsid,
      addresses: (l.addr_info ?? []).flatMap((a) => {
        const family = str(a.family);
        const local = str(a.local);
        if (family === null || local === null) return [];
        const peer = str(a.address);
        return [{ family, local, prefixlen: num(a.prefixlen) ?? 32, ...(peer && peer !== local ? { peer } : {}) }];
      }),
    });
  }
  return links;
}

const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** A program of the real system (nslab's own mount namespace), by absolute path. */
export function systemBinary(name: string): string {
  for (const dir of SYSTEM_DIRS) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      // next
    }
  }
  throw new Error(`${name} is not installed on this machine (looked in ${SYSTEM_DIRS.join(', ')})`);
}

const PROBE_TIMEOUT_MS = 3_000;

/**
 * Links of `pid`'s network namespace; null when the process is gone. `enterUserNs`: also enter
 * its user namespace (an ordinary owner needs it; real root must not, so the probe keeps real
 * root's credentials and stays out of the lab's reach).
 */
export async function readLinks(pid: number, enterUserNs: boolean): Promise<IpLink[] | null> {
  const fds: number[] = [];
  try {
    for (const ns of enterUserNs ? ['user', 'net'] : ['net']) fds.push(openSync(procPath(pid, `ns/${ns}`), constants.O_RDONLY));
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    if (['ENOENT', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) return null;
    throw error;
  }
  const args = enterUserNs
    ? ['--user=/proc/self/fd/3', '--net=/proc/self/fd/4', '--preserve-credentials']
    : ['--net=/proc/self/fd/3'];
  try {
    const out = await runProbe(systemBinary('nsenter'), [...args, '--', systemBinary('ip'), '-j', '-d', 'addr', 'show'], fds, { timeoutMs: PROBE_TIMEOUT_MS });
    return parseIpJson(out);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}
