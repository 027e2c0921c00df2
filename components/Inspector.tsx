/**
 * The live inspector (Ctrl-g i), drawn in place of the pane that is not focused: the lab's
 * namespaces grouped per type, the focused process's mount tree, or the links of every net
 * namespace with veth peers drawn across. Marks carry the meaning without colour (NO_COLOR):
 * "+" new, "~" changed, "-" gone, "●" up, "○" down.
 */
import React, { useSyncExternalStore } from 'react';
import { Box, Text } from 'ink';
import { INSPECTOR_VIEWS, type Inspector as InspectorModel, type InspectorView } from '../src/inspect/inspector.ts';
import type { NamespaceGroup } from '../src/inspect/namespaces.ts';
import type { NetLink, NetNamespaceView } from '../src/inspect/network.ts';

export interface InspectorProps {
  readonly inspector: InspectorModel;
  /** Inner size, as a pane's. */
  readonly cols: number;
  readonly rows: number;
}

export function Inspector({ inspector, cols, rows }: InspectorProps) {
  const view = useSyncExternalStore(
    (listener) => inspector.subscribe(listener),
    () => inspector.view,
  );
  const lines = body(view);
  const shown = lines.length > rows ? [...lines.slice(0, rows - 1), <Text key="more" dimColor>{`… ${lines.length - rows + 1} more lines`}</Text>] : lines;
  return (
    <Box flexDirection="column" width={cols + 2}>
      <Box width={cols + 2}>
        <Text wrap="truncate" bold color="magenta">
          {'◆ inspector '}
        </Text>
        <Text wrap="truncate">
          {INSPECTOR_VIEWS.map((m) => (m === view.mode ? `[${m}]` : ` ${m} `)).join('')}
          {view.readMs !== null ? <Text dimColor>{`  read in ${view.readMs} ms`}</Text> : null}
        </Text>
      </Box>
      <Box flexDirection="column" borderStyle="round" borderColor="magenta" width={cols + 2} height={rows + 2}>
        {shown}
      </Box>
    </Box>
  );
}

function body(view: InspectorView): React.ReactNode[] {
  if (view.error) return [<Text key="err" color="red" wrap="truncate">{`Could not read the kernel: ${view.error}`}</Text>];
  if (view.mode === 'namespaces') return namespaceLines(view.namespaces);
  if (view.mode === 'mounts') return mountLines(view);
  if (view.mode === 'network') return networkLines(view);
  return [];
}

const members = (g: NamespaceGroup) => g.members.map((p) => `${p.command} ${p.labPid ?? '?'}`).join(' · ');

function namespaceLines(groups: readonly NamespaceGroup[]): React.ReactNode[] {
  if (groups.length === 0) return [<Text key="wait" dimColor>Reading /proc…</Text>];
  const types = [...new Set(groups.map((g) => g.type))];
  // A type in which every process shares the lab host's namespace is one word, not a row.
  const allShared = types.filter((t) => groups.filter((g) => g.type === t).every((g) => g.labHost));
  const lines: React.ReactNode[] = [
    <Text key="legend" dimColor wrap="truncate">
      {'per type: namespace inode, then its processes (name, pid in the lab host)'}
    </Text>,
  ];
  if (allShared.length) lines.push(<Text key="shared" wrap="truncate">{`all in the lab host's: ${allShared.join(' ')}`}</Text>);
  for (const g of groups) {
    if (allShared.includes(g.type)) continue;
    lines.push(
      <Text key={`${g.type}-${g.inode}`} wrap="truncate">
        <Text bold>{g.type.padEnd(7)}</Text>
        {g.isNew ? <Text color="green" bold>{'+ '}</Text> : '  '}
        <Text color={g.labHost ? undefined : 'yellow'}>{String(g.inode)}</Text>
        {g.labHost ? ' host: ' : g.isNew ? ' new: ' : ' own: '}
        {members(g)}
      </Text>,
    );
  }
  return lines;
}

function mountLines(view: InspectorView): React.ReactNode[] {
  const m = view.mounts;
  if (!m) return [<Text key="wait" dimColor>Reading mountinfo…</Text>];
  const lines: React.ReactNode[] = [
    <Text key="of" dimColor wrap="truncate">{`mounts of the ${m.of} pane's foreground process (+ new, ~ propagation changed)`}</Text>,
  ];
  for (const [i, r] of m.rows.entries()) {
    const mark = r.change === 'added' ? '+' : r.change === 'changed' ? '~' : ' ';
    const color = r.change === 'added' ? 'green' : r.change === 'changed' ? 'yellow' : undefined;
    lines.push(
      <Text key={`m${i}`} wrap="truncate" color={color} bold={r.change !== 'same'}>
        {`${mark}${'  '.repeat(r.depth)}${r.depth ? '└ ' : ''}${r.target}  `}
        <Text dimColor={r.change === 'same'}>{`${r.fsType} ${r.source}  ${r.propagation}${r.readOnly ? ' ro' : ''}`}</Text>
      </Text>,
    );
  }
  for (const gone of m.removed) lines.push(<Text key={`gone-${gone}`} color="red" wrap="truncate">{`- ${gone}  (unmounted)`}</Text>);
  return lines;
}

/** Administratively up or down, and whether it carries traffic (an up veth whose peer is down does not). */
function linkState(link: NetLink): string {
  if (!link.up) return 'down';
  return link.carrier ? 'up' : 'up, no carrier';
}

function nsLabel(ns: NetNamespaceView): string {
  return ns.labHost ? `host ${ns.inode}` : `${ns.inode}`;
}

function networkLines(view: InspectorView): React.ReactNode[] {
  const net = view.network;
  if (!net) return [<Text key="wait" dimColor>Asking the kernel for links…</Text>];
  const byInode = new Map(net.namespaces.map((ns) => [ns.inode, ns]));
  const peerOf = new Map<string, string>();
  for (const p of net.pairs) {
    if (!p.b) continue;
    peerOf.set(`${p.a.inode}/${p.a.name}`, `${p.b.name} in ${nsLabel(byInode.get(p.b.inode)!)}`);
    peerOf.set(`${p.b.inode}/${p.b.name}`, `${p.a.name} in ${nsLabel(byInode.get(p.a.inode)!)}`);
  }
  const lines: React.ReactNode[] = [];
  for (const ns of net.namespaces) {
    lines.push(
      <Text key={`ns-${ns.inode}`} bold wrap="truncate">
        {`net ${nsLabel(ns)}`}
        <Text dimColor>{`  (${ns.member})`}</Text>
      </Text>,
    );
    if (ns.error) lines.push(<Text key={`err-${ns.inode}`} color="red" wrap="truncate">{`  ${ns.error}`}</Text>);
    for (const link of ns.links) {
      const peer = peerOf.get(`${ns.inode}/${link.name}`);
      lines.push(
        <Text key={`l-${ns.inode}-${link.ifindex}`} wrap="truncate">
          <Text color={link.up ? 'green' : 'red'}>{link.up ? '  ● ' : '  ○ '}</Text>
          {`${link.name} ${link.kind ?? ''} ${linkState(link)}`}
          {link.addresses.length ? ` ${link.addresses.join(' ')}` : ''}
          {peer ? <Text color="cyan">{` ⇄ ${peer}`}</Text> : null}
        </Text>,
      );
    }
  }
  const across = net.pairs.filter((p) => p.b && p.b.inode !== p.a.inode);
  if (across.length) {
    lines.push(<Text key="pairs" bold>veth pairs across namespaces</Text>);
    for (const p of across) {
      lines.push(
        <Text key={`p-${p.a.inode}-${p.a.name}`} color="cyan" wrap="truncate">
          {`  ${p.a.name} [${nsLabel(byInode.get(p.a.inode)!)}] ══ ${p.b!.name} [${nsLabel(byInode.get(p.b!.inode)!)}]`}
        </Text>,
      );
    }
  }
  return lines;
}
