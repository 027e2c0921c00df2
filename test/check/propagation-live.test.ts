/**
 * mount.propagation and mount.propagated against real mount namespaces: who made a mount is
 * told by its unique mount id, so both binds made in one pane stay red; a copy made by unshare
 * is not propagation; --propagation slave and --make-rslave are both a slave.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../src/world/stage.ts';
import { guardRealMachine } from '../support/host.ts';
import { openStage, screenText, type, verdict } from '../support/check.ts';
import { testRootfsTar } from '../support/rootfs.ts';

guardRealMachine(testRootfsTar);

const START = {
  container: { namespaces: [], root: 'none' as const, proc: false },
  setup: ['set -e', 'mkdir -p /mnt/shared /srv/a /srv/b', 'mount --bind /mnt/shared /mnt/shared', 'mount --make-shared /mnt/shared', 'mkdir -p /mnt/shared/h /mnt/shared/c /mnt/shared/early'].join('\n'),
};

let stage: Stage | undefined;
afterEach(async () => {
  await stage?.close();
  stage = undefined;
});

const travelled = (s: Stage, from: string, to: string, path: string, arrives: boolean, fixture?: string) =>
  verdict(s, 'mount.propagated', { from, to, path, arrives }, fixture && `mount.propagated-${fixture}`);
const kind = (s: Stage, type: string, fixture?: string) =>
  verdict(s, 'mount.propagation', { subject: 'container', path: '/mnt/shared', type, relativeTo: 'host' }, fixture && `mount.propagation-${fixture}`);

describe('who made a mount, and whether it travelled', () => {
  it('shared: each side made its own mount and it reached the other; both made in one pane stay red', async () => {
    stage = await openStage(START);
    await type(stage, 'host', 'mount --bind /srv/a /mnt/shared/early');
    expect((await kind(stage, 'shared')).code).toBe('same-namespace');
    await type(stage, 'container', 'unshare --mount --propagation shared bash');
    expect((await kind(stage, 'shared')).code, screenText(stage.container)).toBe('pass');
    // Made before the namespace: copied at unshare, not propagated.
    expect((await travelled(stage, 'host', 'container', '/mnt/shared/early', true, 'copied')).code).toBe('copied');
    // Both binds in the container pane.
    await type(stage, 'container', 'mount --bind /srv/a /mnt/shared/h', 'mount --bind /srv/b /mnt/shared/c');
    const wrong = await travelled(stage, 'host', 'container', '/mnt/shared/h', true, 'wrong-pane');
    expect(wrong.code).toBe('wrong-pane');
    expect(wrong.found).toMatch(/made in the container pane, not in the host pane/);
    expect((await travelled(stage, 'container', 'host', '/mnt/shared/c', true)).code).toBe('pass');
    await type(stage, 'container', 'umount /mnt/shared/h');
    await type(stage, 'host', 'mount --bind /srv/a /mnt/shared/h');
    expect((await travelled(stage, 'host', 'container', '/mnt/shared/h', true, 'host-to-container')).code).toBe('pass');
  });

  it('slave by --propagation slave and by --make-rslave; private; a slave keeps its mounts', async () => {
    stage = await openStage(START);
    await type(stage, 'container', 'unshare --mount bash');
    expect((await kind(stage, 'private')).code).toBe('pass');
    expect((await kind(stage, 'slave')).code).toBe('wrong-type');
    await type(stage, 'container', 'exit', 'unshare --mount --propagation slave bash');
    expect((await kind(stage, 'slave')).code, screenText(stage.container)).toBe('pass');
    await type(stage, 'container', 'exit', 'unshare --mount --propagation unchanged bash');
    expect((await kind(stage, 'shared')).code).toBe('pass');
    await type(stage, 'container', 'mount --make-rslave /');
    expect((await kind(stage, 'slave', 'make-rslave')).code, screenText(stage.container)).toBe('pass');
    await type(stage, 'container', 'mount --bind /srv/b /mnt/shared/c');
    await type(stage, 'host', 'mount --bind /srv/a /mnt/shared/h');
    expect((await travelled(stage, 'container', 'host', '/mnt/shared/c', false)).code).toBe('pass');
    expect((await travelled(stage, 'host', 'container', '/mnt/shared/h', true)).code).toBe('pass');
    expect((await travelled(stage, 'host', 'container', '/mnt/shared/h', false)).code).toBe('arrived');
  });

  it('unbindable: the type is the host\'s, and a bind made before the change is named', async () => {
    stage = await openStage(START);
    const unbindable = () => verdict(stage!, 'mount.propagation', { subject: 'lab-host', path: '/mnt/shared', type: 'unbindable' });
    expect((await unbindable()).code).toBe('wrong-type');
    await type(stage, 'host', 'mkdir -p /srv/view', 'mount --bind /mnt/shared /srv/view', 'mount --make-unbindable /mnt/shared');
    expect((await unbindable()).code).toBe('bound-elsewhere');
    await type(stage, 'host', 'umount /srv/view', 'mount --bind /mnt/shared /srv/view');
    expect((await unbindable()).code, screenText(stage.host)).toBe('pass');
  });
});
