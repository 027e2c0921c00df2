/**
 * Links per network namespace of the lab, with veth peers matched across namespaces.
 *
 * /proc/<pid>/net/dev names a namespace's links but not their state, addresses or peers, so
 * nslab asks rtnetlink through its OWN `ip -j -d addr show`, the probe the checks use
 * (src/kernel/netlink.ts: the real system's binaries, never one the lab could put on a PATH),
 * run by its own nsenter in that namespace only: no mount namespace is entered.
 *
 * The namespace is pinned before anything runs: nslab opens /proc/<pid>/ns/net itself, checks
 * that the pid still is the lab process it listed (same start time), and hands nsenter that
 * open file (`--net=/proc/self/fd/3`). A pid recycled by an unrelated process meanwhile can
 * then not send nslab into that process's namespace.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { parseIpJson, systemBinary, type IpLink } from '../kernel/netlink.ts';
import { readStartTime } from '../kernel/proc.ts';
import { printable } from '../printable.ts';
import type { LabProcess } from './processes.ts';

/** A link as the inspector draws it: ip's view (src/kernel/netlink.ts), names made printable. */
export interface NetLink {
  readonly ifindex: number;
  readonly name: string;
  /** veth, bridge, ... (linkinfo.info_kind); "loopback" for lo; null for a plain device. */
  readonly kind: string | null;
  /** IFF_UP: set administratively up. */
  readonly up: boolean;
  /** IFF_LOWER_UP: it has a carrier (an up veth whose peer is down has none). */
  readonly carrier: boolean;
  readonly addresses: readonly string[];
  /** The peer's ifindex (iflink) for a veth; in another namespace when `peerNetnsid` is set. */
  readonly peerIndex: number | null;
  readonly peerNetnsid: number | null;
}

export interface NetNamespaceView {
  readonly inode: number;
  readonly labHost: boolean;
  /** Who is in it, for the label ("bash 12"). */
  readonly member: string;
  readonly links: readonly NetLink[];
  /** Why the links could not be read (the process left meanwhile, ip failed); null if read. */
  readonly error: string | null;
}

export interface VethPair {
  readonly a: { readonly inode: number; readonly name: string };
  readonly b: { readonly inode: number; readonly name: string } | null;
}

const TIMEOUT_MS = 2_000;
/** More output than this is not a lab's few links; stop reading. */
const MAX_OUTPUT = 4 << 20;

function toNetLink(link: IpLink): NetLink {
  return {
    ifindex: link.ifindex,
    name: printable(link.ifname),
    kind: link.kind !== null ? printable(link.kind) : link.flags.includes('LOOPBACK') ? 'loopback' : null,
    up: link.flags.includes('UP'),
    carrier: link.flags.includes('LOWER_UP'),
    addresses: link.addresses.filter((a) => a.family === 'inet' || a.family === 'inet6').map((a) => printable(`${a.local}/${a.prefixlen}`)),
    peerIndex: link.linkIndex,
    peerNetnsid: link.linkNetnsid,
  };
}

const MARK = 'nslab-netns';

/**
 * The links of each member's network namespace, read by nslab's own ip in that namespace only.
 * One spawn for all of them (the real /bin/sh running nsenter + ip once per namespace): the
 * spawn from Node is most of the cost, and an open inspector pays it at every settle.
 * Each entry is the namespace's links, or an Error saying why they could not be read.
 */
export async function readNetLinks(members: readonly LabProcess[]): Promise<Array<NetLink[] | Error>> {
  if (members.length === 0) return [];
  let ip: string, nsenter: string, sh: string;
  try {
    [ip, nsenter, sh] = [systemBinary('ip'), systemBinary('nsenter'), systemBinary('sh')];
  } catch (error) {
    return members.map(() => error as Error);
  }
  const asRoot = process.getuid?.() === 0;
  const fds: number[] = [];
  const results: Array<NetLink[] | Error | null> = members.map(() => null);
  const lines: string[] = [];
  try {
    for (const [i, member] of members.entries()) {
      try {
        const net = openSync(`/proc/${member.pid}/ns/net`, 'r');
        fds.push(net);
        const netFd = 2 + fds.length;
        // Real root may enter any namespace directly. An ordinary owner needs the lab's user
        // namespace first for CAP_SYS_ADMIN over its net namespace, keeping its own
        // credentials (setgroups is denied there: user_namespaces(7)).
        let enter = `--net=/proc/self/fd/${netFd}`;
        if (!asRoot) {
          fds.push(openSync(`/proc/${member.pid}/ns/user`, 'r'));
          enter = `--user=/proc/self/fd/${2 + fds.length} ${enter} --preserve-credentials`;
        }
        // Pinned: the open file is this process's namespace only if it is still the process listed.
        if (readStartTime(member.pid) !== member.startTime) throw new Error('the process left meanwhile');
        lines.push(`echo ${MARK} ${i}; ${nsenter} ${enter} -- ${ip} -j -d addr show || echo ${MARK}-failed`);
      } catch (error) {
        results[i] = error instanceof Error ? error : new Error(String(error));
      }
    }
    const out = lines.length ? await run(sh, ['-c', lines.join('\n')], fds) : '';
    for (const part of out.split(`${MARK} `).slice(1)) {
      const newline = part.indexOf('\n');
      const i = Number(part.slice(0, newline));
      const body = part.slice(newline + 1);
      try {
        results[i] = body.includes(`${MARK}-failed`) ? new Error('ip could not read this namespace') : parseIpJson(body).map(toNetLink);
      } catch (error) {
        results[i] = error as Error;
      }
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return results.map((r) => r ?? new Error('no answer from ip'));
}

function run(file: string, args: string[], fds: number[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe', ...fds],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' },
      timeout: TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.length > MAX_OUTPUT) child.kill('SIGKILL');
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d.slice(0, 2000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0 || out.includes(MARK)) resolve(out);
      else reject(new Error(printable(err.trim()) || `ip ended with ${code ?? signal}`));
    });
  });
}

/**
 * Veth ends matched across namespaces: the end in A names its peer's ifindex (iflink), and the
 * peer names A's end back. An end whose peer is in no namespace of a lab process is listed
 * with no other side.
 */
export function vethPairs(namespaces: readonly NetNamespaceView[]): VethPair[] {
  const ends = namespaces.flatMap((ns) => ns.links.filter((l) => l.kind === 'veth').map((l) => ({ inode: ns.inode, link: l })));
  const pairs: VethPair[] = [];
  const used = new Set<(typeof ends)[number]>();
  for (const end of ends) {
    if (used.has(end)) continue;
    used.add(end);
    const sameNs = end.link.peerNetnsid === null;
    const peer = ends.find(
      (o) => !used.has(o) && o.link.ifindex === end.link.peerIndex && o.link.peerIndex === end.link.ifindex && (sameNs ? o.inode === end.inode : o.inode !== end.inode),
    );
    if (peer) used.add(peer);
    pairs.push({ a: { inode: end.inode, name: end.link.name }, b: peer ? { inode: peer.inode, name: peer.link.name } : null });
  }
  return pairs;
}
