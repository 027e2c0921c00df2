/** The curriculum predicates' parsers, on /proc text recorded in real lab worlds. */
import { describe, expect, it } from 'vitest';
import { capSet, decodeCaps, CAPABILITY_NAMES } from '../../src/check/caps.ts';
import { idInside, parseIdMap } from '../../src/check/user.ts';
import { overlayDirs } from '../../src/check/overlay.ts';
import { parseMountinfo } from '../../src/kernel/mountinfo.ts';

// /proc/self/status of `setpriv --bounding-set=-all,+net_raw bash` in a lab container (lines cut).
const STATUS_NET_RAW = 'Name:\tbash\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t0000000000002000\nCapEff:\t0000000000002000\nCapBnd:\t0000000000002000\nCapAmb:\t0000000000000000\n';
// And of lab root with every capability (Linux 6.x: 41 of them).
const STATUS_ROOT = 'CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n';

describe('capability masks', () => {
  it('names each bit the way capsh --decode does', () => {
    expect(capSet(STATUS_NET_RAW, 'effective')).toEqual(['cap_net_raw']);
    expect(capSet(STATUS_NET_RAW, 'ambient')).toEqual([]);
    expect(capSet(STATUS_ROOT, 'bounding')).toEqual(CAPABILITY_NAMES);
    expect(capSet(STATUS_ROOT, 'inheritable')).toBeNull();
    expect(decodeCaps('0000000000200000')).toEqual(['cap_sys_admin']);
    // A bit a newer kernel adds is still named, not dropped.
    expect(decodeCaps('20000000000')).toEqual(['cap_41']);
  });
});

describe('uid_map', () => {
  // Read by nslab (the initial user namespace) for the two shells of seed 000 in a lab run by root:
  // the lab's root is real uid 100000.
  const LOCALUSER = parseIdMap('      1000     100000          1\n');
  const ROOT_INSIDE = parseIdMap('         0     100000          1\n');
  it('maps a real uid back into the namespace, or not at all', () => {
    expect(LOCALUSER).toEqual([{ inside: 1000, outside: 100000, count: 1 }]);
    expect(idInside(LOCALUSER, 100000)).toBe(1000);
    expect(idInside(ROOT_INSIDE, 100000)).toBe(0);
    expect(idInside(ROOT_INSIDE, 100001)).toBeNull();
    expect(idInside(parseIdMap('0 100000 65536\n'), 101000)).toBe(1000);
    expect(parseIdMap('')).toEqual([]);
  });
});

describe('overlay directories from mountinfo', () => {
  it('lowerdir (several, with an escaped colon), upperdir and workdir', () => {
    const [entry] = parseMountinfo(
      '139 124 0:50 / /containers/tutorial/merged rw,relatime - overlay overlay rw,lowerdir=/labs/rootfs:/img/a\\:b,upperdir=/containers/tutorial/upper,workdir=/containers/tutorial/work,redirect_dir=nofollow,uuid=null\n',
    );
    expect(overlayDirs(entry!)).toEqual({ lower: ['/labs/rootfs', '/img/a:b'], upper: '/containers/tutorial/upper', work: '/containers/tutorial/work' });
  });
});
