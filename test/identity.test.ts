import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LAB_UID_SEARCH_START, labIdentity, unusedLabUid } from '../src/world/identity.ts';

const dirs: string[] = [];
function etc(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nslab-etc-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the uid lab root maps to when nslab runs as root', () => {
  it('is the search start on a machine that uses nothing there', () => {
    expect(unusedLabUid(etc({ passwd: 'root:x:0:0::/root:/bin/sh\n' }))).toBe(LAB_UID_SEARCH_START);
  });

  it('skips accounts, groups and every subordinate-id range, chained', () => {
    const dir = etc({
      passwd: 'root:x:0:0::/root:/bin/sh\nodd:x:100000:100000::/:/bin/false\n',
      group: 'odd:x:100001:\n',
      subuid: 'alice:100002:65536\nbob:165538:65536\n',
      subgid: 'carol:231074:10\n',
    });
    expect(unusedLabUid(dir)).toBe(231084);
  });

  it('is never 0, and an ordinary user runs the lab as themselves', () => {
    expect(labIdentity(0).uid).toBeGreaterThanOrEqual(LAB_UID_SEARCH_START);
    expect(labIdentity(1000)).toMatchObject({ uid: 1000, nsenterCredentials: ['--preserve-credentials'] });
  });
});
