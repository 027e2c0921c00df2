/**
 * Parsers of /proc files, on texts captured from a Debian 12 machine (kernel 6.x), and the
 * readers on live processes: this test process, a process in its own mount/uts/net/pid
 * namespaces, a zombie and pids that do not exist.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findMount,
  parseMountinfo,
  propagationName,
  readMountinfo,
  unescapeMountField,
} from '../src/kernel/mountinfo.ts';
import {
  hexToIPv4,
  ipv4ToNumber,
  parseFibTrie,
  parseIcmpCounters,
  parseLocalIPv4,
  parseNetDev,
  parseRoutes,
  parseSnmp,
  readIcmpCounters,
  readLocalIPv4,
  readNetDev,
  readRoutes,
} from '../src/kernel/net.ts';
import {
  cwdIdentity,
  isAlive,
  listChildren,
  listPids,
  parseStatPpid,
  parseStatStartTime,
  parseStatus,
  readComm,
  readEnviron,
  readStartTime,
  readStatus,
  rootIdentity,
  sameIdentity,
} from '../src/kernel/proc.ts';
import { compareNamespaces, namespaceInode, NS_TYPES, readNamespaces } from '../src/kernel/namespaces.ts';

// ---------------------------------------------------------------------------------------------
// Fixtures, captured on this machine.

/** `cat /proc/self/mountinfo` on the real machine (note the two stacked /dev/shm and /dev/pts). */
const MOUNTINFO_HOST = String.raw`22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,nr_inodes=3083623,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755
29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/**
 * In a throwaway mount namespace: a tmpfs, a shared bind (a), a shared+slave bind of it (b), a
 * slave of b (c), a peer of a on a path with a space, an unbindable bind (u), a tmpfs on a path
 * with a tab.
 */
const MOUNTINFO_PROPAGATION = String.raw`43 42 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
63 43 0:39 / /tmp/nslab-fixture.6C1c rw,relatime - tmpfs nslab-fixture rw
64 63 254:0 /usr /tmp/nslab-fixture.6C1c/root/usr rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
65 63 0:39 /src /tmp/nslab-fixture.6C1c/root/a rw,relatime shared:1 - tmpfs nslab-fixture rw
66 63 0:39 /src /tmp/nslab-fixture.6C1c/outside/b rw,relatime shared:2 master:1 - tmpfs nslab-fixture rw
67 63 0:39 /src /tmp/nslab-fixture.6C1c/root/c rw,relatime master:2 - tmpfs nslab-fixture rw
68 63 0:39 /src /tmp/nslab-fixture.6C1c/root/with\040space rw,relatime shared:1 - tmpfs nslab-fixture rw
69 63 0:39 /src /tmp/nslab-fixture.6C1c/root/u rw,relatime unbindable - tmpfs nslab-fixture rw
70 63 0:40 / /tmp/nslab-fixture.6C1c/root/tab\011x rw,relatime - tmpfs nslab-tab rw,size=1024k
`;

/** The same mount namespace read through a process chrooted into .../root: b is out of sight. */
const MOUNTINFO_CHROOTED = String.raw`64 63 254:0 /usr /usr rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
65 63 0:39 /src /a rw,relatime shared:1 - tmpfs nslab-fixture rw
67 63 0:39 /src /c rw,relatime master:2 propagate_from:1 - tmpfs nslab-fixture rw
68 63 0:39 /src /with\040space rw,relatime shared:1 - tmpfs nslab-fixture rw
69 63 0:39 /src /u rw,relatime unbindable - tmpfs nslab-fixture rw
70 63 0:40 / /tab\011x rw,relatime - tmpfs nslab-tab rw,size=1024k
`;

/** An overlay whose lowerdir contains a comma (given as "low\,er"): \134 backslash, \054 comma. */
const MOUNTINFO_OVERLAY = String.raw`66 63 0:40 / /tmp/nslab-ov.qVhE/merged\040dir rw,relatime - overlay nslab-ov rw,lowerdir=/tmp/nslab-ov.qVhE/low\134\054er,upperdir=/tmp/nslab-ov.qVhE/up,workdir=/tmp/nslab-ov.qVhE/work,uuid=on
`;

const NET_DEV_HOST = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    3245      30    0    0    0     0          0         0     3245      30    0    0    0     0       0          0
  ifb0:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  ifb1:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
  eth0: 569184687   17208    0    0    0     0          0         0  1171158    9730    0    0    0     0       0          0
`;

/** A network namespace with a veth pair, both ends up, one ping-sized packet each way. */
const NET_DEV_VETH = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0
 cveth:     110       1    0    0    0     0          0         0       90       1    0    0    0     0       0          0
 hveth:      90       1    0    0    0     0          0         0      110       1    0    0    0     0       0          0
`;

/** A fresh network namespace after three ICMP echo requests to 127.0.0.1 and one UDP datagram to a closed port. */
const SNMP_PINGED = `Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits
Ip: 2 64 8 0 0 0 0 0 8 8 0 0 0 0 0 0 0 0 0 8
Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps
Icmp: 7 0 0 1 0 0 0 0 3 3 0 0 0 0 7 0 0 0 1 0 0 0 0 3 3 0 0 0 0
IcmpMsg: InType0 InType3 InType8 OutType0 OutType3 OutType8
IcmpMsg: 3 1 3 3 1 3
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
Tcp: 1 200 120000 -1 0 0 0 0 0 0 0 0 0 0 0
Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
Udp: 0 1 0 1 0 0 0 0 0
UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors
UdpLite: 0 0 0 0 0 0 0 0 0
`;

/** The real machine: lo and eth0 192.0.2.2/24. The kernel prints the Main and Local views. */
const FIB_TRIE_HOST = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
     +-- 192.0.2.0/24 2 0 2
        +-- 192.0.2.0/30 2 0 2
           |-- 192.0.2.0
              /24 link UNICAST
           |-- 192.0.2.2
              /32 host LOCAL
        |-- 192.0.2.255
           /32 link BROADCAST
`;

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT                                                       ';
const ROUTE_HOST = `${ROUTE_HEADER}
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0                                                                               
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                               
`;

/** Namespace with lo up, hveth 10.0.0.1/24 and cveth 10.1.0.2/16, both up. */
const FIB_TRIE_VETH = `Main:
  +-- 0.0.0.0/1 2 0 2
     +-- 10.0.0.0/15 2 0 1
        +-- 10.0.0.0/24 2 0 2
           +-- 10.0.0.0/31 1 0 0
              |-- 10.0.0.0
                 /24 link UNICAST
              |-- 10.0.0.1
                 /32 host LOCAL
           |-- 10.0.0.255
              /32 link BROADCAST
        +-- 10.1.0.0/30 2 0 2
           |-- 10.1.0.0
              /16 link UNICAST
           |-- 10.1.0.2
              /32 host LOCAL
        |-- 10.1.255.255
           /32 link BROADCAST
     +-- 127.0.0.0/8 2 0 2
        +-- 127.0.0.0/31 1 0 0
           |-- 127.0.0.0
              /8 host LOCAL
           |-- 127.0.0.1
              /32 host LOCAL
        |-- 127.255.255.255
           /32 link BROADCAST
`;
const ROUTE_VETH = `${ROUTE_HEADER}
hveth\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                              
cveth\t0000010A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0                                                                              
`;

/** lo down, hveth (down) 10.0.0.1/24, cveth (up, peer down) 10.0.0.9/32: no connected route at all. */
const FIB_TRIE_DOWN = `Main:
  +-- 10.0.0.0/28 2 0 2
     |-- 10.0.0.1
        /32 host LOCAL
     |-- 10.0.0.9
        /32 host LOCAL
Local:
  +-- 10.0.0.0/28 2 0 2
     |-- 10.0.0.1
        /32 host LOCAL
     |-- 10.0.0.9
        /32 host LOCAL
`;
const ROUTE_DOWN = `${ROUTE_HEADER}\n`;

/** hveth 10.0.0.1/24 and cveth 10.0.0.2/24 in the same namespace: two routes to one subnet, each trie leaf printed twice. */
const FIB_TRIE_SAME_SUBNET = `Local:
  +-- 10.0.0.0/24 2 0 2
     +-- 10.0.0.0/30 2 0 1
        |-- 10.0.0.0
           /24 link UNICAST
           /24 link UNICAST
        |-- 10.0.0.1
           /32 host LOCAL
        |-- 10.0.0.2
           /32 host LOCAL
     |-- 10.0.0.255
        /32 link BROADCAST
        /32 link BROADCAST
`;
const ROUTE_SAME_SUBNET = `${ROUTE_HEADER}
hveth\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                              
cveth\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0                                                                              
`;

/** `cat /proc/self/stat`: start time (field 22) 380434. */
const STAT_SELF =
  '32235 (cat) R 32232 32232 31280 0 -1 4194304 99 0 1 0 0 0 0 0 20 0 1 0 380434 3133440 388 18446744073709551615 94624002830336 94624002850217 140727173819136 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94624002866224 94624002867840 94624369729536 140727173827092 140727173827112 140727173827112 140727173828587 0\n';

const STATUS_SELF = `Name:\tcat
Umask:\t0022
State:\tR (running)
Tgid:\t4680
Ngid:\t0
Pid:\t4680
PPid:\t4668
TracerPid:\t0
Uid:\t0\t0\t0\t0
Gid:\t0\t0\t0\t0
FDSize:\t256
Groups:\t 
NStgid:\t4680
NSpid:\t4680
NSpgid:\t4668
NSsid:\t3406
Kthread:\t0
Threads:\t1
`;

// ---------------------------------------------------------------------------------------------

describe('mountinfo parser (fixtures)', () => {
  const host = parseMountinfo(MOUNTINFO_HOST);
  const prop = parseMountinfo(MOUNTINFO_PROPAGATION);
  const chrooted = parseMountinfo(MOUNTINFO_CHROOTED);

  it('reads every field of a line', () => {
    expect(host).toHaveLength(20);
    expect(host[0]).toEqual({
      id: 22,
      parentId: 27,
      major: 0,
      minor: 21,
      root: '/',
      mountPoint: '/proc',
      options: ['rw', 'relatime'],
      readOnly: false,
      optionalFields: [],
      propagation: { unbindable: false },
      fsType: 'proc',
      source: 'proc',
      superOptions: ['rw'],
    });
    const root = host.find((e) => e.mountPoint === '/')!;
    expect([root.id, root.parentId, root.major, root.minor, root.fsType, root.source]).toEqual([27, 1, 254, 0, 'ext4', '/dev/vda']);
    expect(root.superOptions).toEqual(['rw', 'discard', 'resv_strict', 'resuid=65534', 'resgid=65534']);
    const ro = host.find((e) => e.id === 28)!;
    expect(ro.readOnly).toBe(true);
    expect(ro.options).toEqual(['ro', 'nosuid', 'nodev', 'relatime']);
  });

  it('parses shared, master, propagate_from and unbindable', () => {
    const byId = new Map(prop.map((e) => [e.id, e]));
    expect(byId.get(64)!.propagation).toEqual({ unbindable: false });
    expect(byId.get(65)!.propagation).toEqual({ shared: 1, unbindable: false });
    expect(byId.get(66)!.propagation).toEqual({ shared: 2, master: 1, unbindable: false });
    expect(byId.get(67)!.propagation).toEqual({ master: 2, unbindable: false });
    expect(byId.get(69)!.propagation).toEqual({ unbindable: true });
    expect(byId.get(66)!.optionalFields).toEqual(['shared:2', 'master:1']);
    expect(prop.map((e) => [e.id, propagationName(e)])).toEqual([
      [43, 'private'],
      [63, 'private'],
      [64, 'private'],
      [65, 'shared'],
      [66, 'shared+slave'],
      [67, 'slave'],
      [68, 'shared'],
      [69, 'unbindable'],
      [70, 'private'],
    ]);
    // Out of the chroot's sight, b's peer group 2 is dominated by the visible group 1.
    const c = chrooted.find((e) => e.mountPoint === '/c')!;
    expect(c.propagation).toEqual({ master: 2, propagateFrom: 1, unbindable: false });
    expect(propagationName(c)).toBe('slave');
    expect(c.root).toBe('/src');
  });

  it('unescapes space, tab, backslash and comma in paths and options', () => {
    expect(prop.find((e) => e.id === 68)!.mountPoint).toBe('/tmp/nslab-fixture.6C1c/root/with space');
    expect(chrooted.find((e) => e.id === 68)!.mountPoint).toBe('/with space');
    const tab = prop.find((e) => e.id === 70)!;
    expect(tab.mountPoint).toBe('/tmp/nslab-fixture.6C1c/root/tab\tx');
    expect([tab.source, tab.superOptions]).toEqual(['nslab-tab', ['rw', 'size=1024k']]);
    const [overlay] = parseMountinfo(MOUNTINFO_OVERLAY);
    expect(overlay!.mountPoint).toBe('/tmp/nslab-ov.qVhE/merged dir');
    expect(overlay!.fsType).toBe('overlay');
    // Split at commas first, then unescape: the escaped comma stays inside lowerdir.
    expect(overlay!.superOptions).toEqual([
      'rw',
      'lowerdir=/tmp/nslab-ov.qVhE/low\\,er',
      'upperdir=/tmp/nslab-ov.qVhE/up',
      'workdir=/tmp/nslab-ov.qVhE/work',
      'uuid=on',
    ]);
    expect(unescapeMountField('a\\012b\\134c')).toBe('a\nb\\c');
  });

  it('skips blank and malformed lines', () => {
    const text = `garbage\n\n1 2 3\n${MOUNTINFO_HOST.split('\n')[0]}\n`;
    expect(parseMountinfo(text).map((e) => e.id)).toEqual([22]);
  });

  it('findMount returns the top of a stack, at a normalized path', () => {
    expect(findMount(host, '/dev/shm')?.id).toBe(30);
    expect(findMount(host, '/dev/pts/')?.id).toBe(29);
    expect(findMount(host, '/sys/fs/cgroup/cpu')?.id).toBe(32);
    expect(findMount(host, '/')?.id).toBe(27);
    expect(findMount(prop, '/tmp/nslab-fixture.6C1c/root/with space')?.id).toBe(68);
    expect(findMount(host, '/nowhere')).toBeUndefined();
    // Exactly at the mount point: a path below one is not it.
    expect(findMount(host, '/dev/shm/x')).toBeUndefined();
  });
});

describe('net parsers (fixtures)', () => {
  it('net/dev: per-interface bytes and packets', () => {
    const dev = parseNetDev(NET_DEV_HOST);
    expect(dev.map((d) => d.iface)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(dev[3]).toEqual({
      iface: 'eth0',
      rxBytes: 569184687,
      rxPackets: 17208,
      rxErrors: 0,
      rxDropped: 0,
      txBytes: 1171158,
      txPackets: 9730,
      txErrors: 0,
      txDropped: 0,
    });
    const veth = parseNetDev(NET_DEV_VETH);
    expect(veth.map((d) => [d.iface, d.rxBytes, d.rxPackets, d.txBytes, d.txPackets])).toEqual([
      ['lo', 0, 0, 0, 0],
      ['cveth', 110, 1, 90, 1],
      ['hveth', 90, 1, 110, 1],
    ]);
    // A counter wider than its column follows the colon without a space.
    expect(parseNetDev('  eth0:5691846870   17208 0 0 0 0 0 0 11 9730 0 0 0 0 0 0')[0]?.rxBytes).toBe(5691846870);
  });

  it('net/snmp: the Icmp section by name, every field kept', () => {
    const icmp = parseIcmpCounters(SNMP_PINGED)!;
    expect([icmp.InEchos, icmp.InEchoReps, icmp.OutEchos, icmp.OutEchoReps]).toEqual([3, 3, 3, 3]);
    expect(icmp.fields['InMsgs']).toBe(7);
    expect(icmp.fields['InDestUnreachs']).toBe(1);
    expect(icmp.fields['OutDestUnreachs']).toBe(1);
    expect(Object.keys(icmp.fields)).toHaveLength(29);
    const all = parseSnmp(SNMP_PINGED);
    expect(Object.keys(all)).toEqual(['Ip', 'Icmp', 'IcmpMsg', 'Tcp', 'Udp', 'UdpLite']);
    expect(all['IcmpMsg']).toEqual({ InType0: 3, InType3: 1, InType8: 3, OutType0: 3, OutType3: 1, OutType8: 3 });
    expect(all['Tcp']!['MaxConn']).toBe(-1);
    expect(all['Udp']!['NoPorts']).toBe(1);
    // Positions, not order of appearance: distinct values land on their own names.
    const synthetic = 'Icmp: OutEchos InEchos OutEchoReps InEchoReps\nIcmp: 1 2 3 4\n';
    const s = parseIcmpCounters(synthetic)!;
    expect([s.InEchos, s.InEchoReps, s.OutEchos, s.OutEchoReps]).toEqual([2, 4, 1, 3]);
    expect(parseIcmpCounters('Ip: a\nIp: 1\n')).toBeNull();
  });

  it('net/fib_trie: local IPv4 addresses are the /32 host LOCAL leaves, once each', () => {
    expect(parseLocalIPv4(FIB_TRIE_HOST)).toEqual(['127.0.0.1', '192.0.2.2']);
    expect(parseLocalIPv4(FIB_TRIE_VETH)).toEqual(['10.0.0.1', '10.1.0.2', '127.0.0.1']);
    expect(parseLocalIPv4(FIB_TRIE_DOWN)).toEqual(['10.0.0.1', '10.0.0.9']);
    // A Local-only trie whose leaves carry two info lines each.
    expect(parseLocalIPv4(FIB_TRIE_SAME_SUBNET)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(parseLocalIPv4('')).toEqual([]);
    const entries = parseFibTrie(FIB_TRIE_HOST);
    expect(entries.filter((e) => e.table === 'Main')).toHaveLength(entries.length / 2);
    expect(entries).toContainEqual({ table: 'Local', address: '127.0.0.0', prefixLength: 8, scope: 'host', type: 'LOCAL' });
    expect(entries).toContainEqual({ table: 'Main', address: '192.0.2.255', prefixLength: 32, scope: 'link', type: 'BROADCAST' });
  });

  it('net/route: dotted quads, flags and prefix length', () => {
    expect(parseRoutes(ROUTE_HOST)).toEqual([
      { iface: 'eth0', destination: '0.0.0.0', gateway: '192.0.2.1', flags: 3, metric: 0, mask: '0.0.0.0', prefixLength: 0 },
      { iface: 'eth0', destination: '192.0.2.0', gateway: '0.0.0.0', flags: 1, metric: 0, mask: '255.255.255.0', prefixLength: 24 },
    ]);
    expect(parseRoutes(ROUTE_VETH).map((r) => `${r.iface} ${r.destination}/${r.prefixLength}`)).toEqual(['hveth 10.0.0.0/24', 'cveth 10.1.0.0/16']);
    expect(parseRoutes(ROUTE_DOWN)).toEqual([]);
    expect(parseRoutes(ROUTE_SAME_SUBNET).map((r) => `${r.iface} ${r.destination}/${r.prefixLength}`)).toEqual(['hveth 10.0.0.0/24', 'cveth 10.0.0.0/24']);
    expect(hexToIPv4('0100A8C0', true)).toBe('192.168.0.1');
    expect(hexToIPv4('C0A80001', false)).toBe('192.168.0.1');
  });
});

describe('proc and namespace parsers (fixtures)', () => {
  it('status: name, state letter, ppid, NSpid, uid', () => {
    expect(parseStatus(STATUS_SELF)).toEqual({ name: 'cat', state: 'R', ppid: 4668, nspid: [4680], uid: [0, 0, 0, 0], gid: [0, 0, 0, 0] });
    const nested = parseStatus('Name:\tsleep\nState:\tZ (zombie)\nPid:\t9\nPPid:\t8\nUid:\t100000\t100000\t100000\t100000\nNSpid:\t5317\t12\t1\n');
    expect([nested.state, nested.nspid, nested.uid[0]]).toEqual(['Z', [5317, 12, 1], 100000]);
  });

  it('stat: ppid and start time after a comm with spaces and parentheses', () => {
    expect(parseStatPpid('4756 (cat) R 4752 4752 3406 0 -1 4194304')).toBe(4752);
    expect(parseStatPpid('77 (a) b (c)) S 12 77 77 0')).toBe(12);
    expect(parseStatStartTime(STAT_SELF)).toBe('380434');
    expect(parseStatStartTime(STAT_SELF.replace('(cat)', '(a) b (c))'))).toBe('380434');
    expect(parseStatStartTime('4756 (cat) R 4752 4752 3406 0 -1 4194304')).toBeNull();
    expect(parseStatStartTime('garbage')).toBeNull();
  });

  it('namespace links: inode and comparison', () => {
    expect(namespaceInode('net:[4026531833]')).toBe(4026531833);
    expect(namespaceInode('garbage')).toBeNull();
    const a = { mnt: 'mnt:[1]', pid: 'pid:[2]', net: 'net:[3]', uts: 'uts:[4]', ipc: 'ipc:[5]', user: 'user:[6]', cgroup: null };
    const b = { ...a, mnt: 'mnt:[10]', net: 'net:[30]' };
    expect(compareNamespaces(a, b)).toEqual({ mnt: 'own', pid: 'shared', net: 'own', uts: 'shared', ipc: 'shared', user: 'shared', cgroup: 'unknown' });
    expect(Object.values(compareNamespaces(a, null))).toEqual(NS_TYPES.map(() => 'unknown'));
  });
});

// ---------------------------------------------------------------------------------------------
// Live reads

async function waitFor<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

describe('live: this process', () => {
  const self = process.pid;

  it('status, comm, start time, environ', () => {
    const status = readStatus(self)!;
    expect(status.nspid[0]).toBe(self);
    expect(status.ppid).toBe(process.ppid);
    expect(status.uid).toEqual(Array(4).fill(process.getuid!()));
    expect(status.state).toMatch(/^[RS]$/);
    expect(isAlive(self)).toBe(true);
    expect(readComm(self)).toBe(readFileSync('/proc/self/comm', 'utf8').replace(/\n$/, ''));
    expect(readStartTime(self)).toBe(parseStatStartTime(readFileSync('/proc/self/stat', 'utf8')));
    expect(readStartTime(self)).toMatch(/^\d+$/);
    expect(readEnviron(self)!['PATH']).toBeTypeOf('string');
    expect(listPids()).toContain(self);
    expect(listPids()).toContain(1);
  });

  it('namespaces equal the /proc/self/ns links, and compare as all shared with themselves', () => {
    const ns = readNamespaces(self)!;
    for (const t of NS_TYPES) expect(ns[t]).toBe(readlinkSync(`/proc/self/ns/${t}`));
    expect(ns.net).toMatch(/^net:\[\d+\]$/);
    expect(Object.values(compareNamespaces(ns, readNamespaces(self)))).toEqual(NS_TYPES.map(() => 'shared'));
  });

  it('root and cwd identities match stat() of / and the cwd', () => {
    const root = statSync('/', { bigint: true });
    expect(rootIdentity(self)).toEqual({ dev: root.dev, ino: root.ino });
    const cwd = statSync(process.cwd(), { bigint: true });
    expect(cwdIdentity(self)).toEqual({ dev: cwd.dev, ino: cwd.ino });
    expect(sameIdentity(rootIdentity(self), cwdIdentity(self))).toBe(process.cwd() === '/');
  });

  it('mountinfo has / and /proc', () => {
    const mounts = readMountinfo(self)!;
    expect(findMount(mounts, '/')).toBeDefined();
    expect(findMount(mounts, '/proc')?.fsType).toBe('proc');
  });

  it('net readers agree with each other', () => {
    const ifaces = readNetDev(self)!.map((d) => d.iface);
    expect(ifaces).toContain('lo');
    for (const a of readLocalIPv4(self)!) expect(() => ipv4ToNumber(a)).not.toThrow();
    // Every route goes through an interface of net/dev (or none: "*", a reject route).
    for (const r of readRoutes(self)!) expect([...ifaces, '*']).toContain(r.iface);
    expect(readIcmpCounters(self)!.fields).toHaveProperty('InMsgs');
  });
});

const asRoot = process.getuid?.() === 0;
const USERNS = asRoot ? [] : ['--user', '--map-root-user'];

describe('live: a process in its own mount, uts, net and pid namespaces', () => {
  let unshare: ChildProcess;
  let unsharePid = 0;
  let inner = 0;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nslab-kp-'));
    mkdirSync(join(dir, 'with space'));
    mkdirSync(join(dir, 'slave'));
    // An ordinary user needs a user namespace to own the others (root needs none).
    unshare = spawn('unshare', [...USERNS, '--mount', '--uts', '--net', '--pid', '--fork', 'sleep', '30'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NSLAB_TEST_MARK: 'a=b c' },
    });
    let stderr = '';
    unshare.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    unsharePid = unshare.pid!;
    // unshare(2)s itself, then forks: the child is pid 1 of the new pid namespace.
    inner = await waitFor('the forked child', () => {
      if (unshare.exitCode !== null) throw new Error(`unshare exited with ${unshare.exitCode}: ${stderr}`);
      return listChildren(unsharePid)?.[0];
    });
    await waitFor('sleep to be exec()ed', () => readComm(inner) === 'sleep');
  });

  afterAll(async () => {
    try {
      if (inner) process.kill(inner, 'SIGKILL');
      if (unshare) {
        if (!inner) unshare.kill('SIGKILL');
        await exited(unshare);
        expect(isAlive(unsharePid)).toBe(false);
        if (inner) {
          await waitFor('the namespace init to be reaped', () => !isAlive(inner) && readStatus(inner) === null);
          expect(isAlive(inner)).toBe(false);
        }
      }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is found as the child of unshare, with a pid in each pid namespace', () => {
    expect(listChildren(unsharePid)).toEqual([inner]);
    expect(listChildren(unsharePid, { scan: true })).toEqual([inner]);
    expect(listChildren(process.pid)).toContain(unsharePid);
    const status = readStatus(inner)!;
    expect(status.ppid).toBe(unsharePid);
    expect(status.nspid).toEqual([inner, 1]);
    expect(status.name).toBe('sleep');
    expect(isAlive(inner)).toBe(true);
    expect(readComm(inner)).toBe('sleep');
    expect(readFileSync(`/proc/${inner}/cmdline`, 'utf8')).toBe('sleep\u000030\u0000');
    // Forked by unshare after unshare started: a start time no earlier than unshare's.
    expect(Number(readStartTime(inner))).toBeGreaterThanOrEqual(Number(readStartTime(unsharePid)));
    expect(readEnviron(inner)!['NSLAB_TEST_MARK']).toBe('a=b c');
  });

  it('compareNamespaces: mnt, uts, net, pid own; ipc, cgroup (and user, as root) shared', () => {
    const mine = readNamespaces(process.pid);
    expect(compareNamespaces(readNamespaces(inner), mine)).toEqual({
      mnt: 'own',
      pid: 'own',
      net: 'own',
      uts: 'own',
      ipc: 'shared',
      user: asRoot ? 'shared' : 'own',
      cgroup: 'shared',
    });
    // unshare --pid only puts unshare's children in the new pid namespace.
    const outer = compareNamespaces(readNamespaces(unsharePid), mine);
    expect([outer.mnt, outer.pid, outer.net]).toEqual(['own', 'shared', 'own']);
  });

  it('its network namespace has only lo, down, without addresses or routes', () => {
    expect(readNetDev(inner)!.map((d) => d.iface)).toEqual(['lo']);
    expect(readLocalIPv4(inner)).toEqual([]);
    expect(readRoutes(inner)).toEqual([]);
    expect(readIcmpCounters(inner)!.InEchos).toBe(0);
  });

  it('its mount table is a private copy that sees its own new mounts', () => {
    const mine = readMountinfo(process.pid)!;
    const before = readMountinfo(inner)!;
    expect(before.map((e) => e.mountPoint).sort()).toEqual(mine.map((e) => e.mountPoint).sort());
    const myIds = new Set(mine.map((e) => e.id));
    expect(before.some((e) => myIds.has(e.id))).toBe(false);
    expect(before.every((e) => propagationName(e) === 'private')).toBe(true);

    // Mounts made in its mount namespace only (unshare made everything private).
    const spaced = join(dir, 'with space');
    const slave = join(dir, 'slave');
    const script = [
      `mount -t tmpfs nslab-test-tmpfs "${spaced}"`,
      `mount --make-shared "${spaced}"`,
      `mount --bind "${spaced}" "${slave}"`,
      `mount --make-slave "${slave}"`,
    ].join(' && ');
    const enter = asRoot ? ['-m'] : ['-U', '--preserve-credentials', '-m'];
    const r = spawnSync('nsenter', ['-t', String(inner), ...enter, 'sh', '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    const after = readMountinfo(inner)!;
    const tmp = findMount(after, spaced)!;
    expect([tmp.fsType, tmp.source, propagationName(tmp)]).toEqual(['tmpfs', 'nslab-test-tmpfs', 'shared']);
    const s = findMount(after, slave)!;
    expect(propagationName(s)).toBe('slave');
    expect(s.propagation.master).toBe(tmp.propagation.shared);
    // Not in ours.
    expect(findMount(readMountinfo(process.pid)!, spaced)).toBeUndefined();
  });

  it('has the same root directory as this process', () => {
    expect(sameIdentity(rootIdentity(inner), rootIdentity(process.pid))).toBe(true);
  });
});

describe('live: processes that are gone', () => {
  let zombieParent: ChildProcess | undefined;

  afterAll(async () => {
    if (zombieParent?.pid) {
      zombieParent.kill('SIGKILL');
      await exited(zombieParent);
    }
  });

  function expectAllNull(pid: number): void {
    expect(readStatus(pid)).toBeNull();
    expect(isAlive(pid)).toBe(false);
    expect(readNamespaces(pid)).toBeNull();
    expect(readMountinfo(pid)).toBeNull();
    expect(readNetDev(pid)).toBeNull();
    expect(readIcmpCounters(pid)).toBeNull();
    expect(readLocalIPv4(pid)).toBeNull();
    expect(readRoutes(pid)).toBeNull();
    expect(readComm(pid)).toBeNull();
    expect(readStartTime(pid)).toBeNull();
    expect(readEnviron(pid)).toBeNull();
    expect(rootIdentity(pid)).toBeNull();
    expect(cwdIdentity(pid)).toBeNull();
    expect(listChildren(pid)).toBeNull();
    expect(listChildren(pid, { scan: true })).toBeNull();
  }

  it('a pid that exited and was reaped gives null everywhere', async () => {
    const child = spawn('true', { stdio: 'ignore' });
    const pid = child.pid!;
    await exited(child);
    expectAllNull(pid);
  });

  it('a pid that cannot exist (pid_max) gives null everywhere', () => {
    const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
    expectAllNull(pidMax);
  });

  it('a zombie is visible but not alive, and has no namespaces, mounts, root or network', async () => {
    // sh forks "sleep 0" and then becomes "sleep 30", which never reaps it.
    zombieParent = spawn('sh', ['-c', 'sleep 0 & exec sleep 30'], { stdio: 'ignore' });
    const parent = zombieParent.pid!;
    const zombie = await waitFor('a zombie child', () => {
      const kid = listChildren(parent)?.[0];
      return kid !== undefined && readStatus(kid)?.state === 'Z' ? kid : null;
    });
    expect(readStatus(zombie)).toMatchObject({ state: 'Z', ppid: parent });
    expect(isAlive(zombie)).toBe(false);
    expect(isAlive(parent)).toBe(true);
    expect(readNamespaces(zombie)).toBeNull();
    expect(readMountinfo(zombie)).toBeNull();
    expect(rootIdentity(zombie)).toBeNull();
    expect(readNetDev(zombie)).toBeNull();
    expect(readLocalIPv4(zombie)).toBeNull();
    // Like status and stat, comm outlives the process until it is reaped.
    expect(readComm(zombie)).toBe('sleep');
    expect(readStartTime(zombie)).toMatch(/^\d+$/);
  });

  it('rejects things that are not pids', () => {
    expect(() => readStatus(0)).toThrow(RangeError);
    expect(() => readNamespaces(-1)).toThrow(RangeError);
    expect(() => readMountinfo(1.5)).toThrow(RangeError);
  });
});
