import { useSyncExternalStore, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import { MIN_COLUMNS, MIN_ROWS } from '../src/layout.ts';
import type { Session } from '../src/session/session.ts';
import { Footer } from './Footer.tsx';
import { HelpView } from './HelpView.tsx';
import { Inspector } from './Inspector.tsx';
import { PaneView } from './PaneView.tsx';

export interface StageScreenProps {
  readonly session: Session;
  readonly columns: number;
  readonly rows: number;
  /** The lab panel under the panes (labs only). */
  readonly panel?: ReactNode;
  /** Above the panes (presenter mode: the goal on top). */
  readonly header?: ReactNode;
}

/** The host pane and the container pane side by side, the lab panel, the footer. */
export function StageScreen({ session, columns, rows, panel, header }: StageScreenProps) {
  const view = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.view,
  );
  const { layout, stage } = view;
  const inspecting = useSyncExternalStore(
    (listener) => session.inspector.subscribe(listener),
    () => session.inspector.view.mode !== null,
  );
  const footer = <Footer prefixArmed={view.prefixArmed} notice={view.notice} inLab={panel !== undefined} presenter={header !== undefined} width={layout.width} />;

  if (layout.tooSmall) {
    return (
      <Box flexDirection="column">
        <Text color="yellow">
          This terminal is {columns}×{rows}; nslab needs at least {MIN_COLUMNS}×{MIN_ROWS} to show two shells side by side.
        </Text>
        <Text>Enlarge the window or make the font smaller; the lab keeps running meanwhile.</Text>
        {footer}
      </Box>
    );
  }
  const paneHeight = layout.paneRows + 3;
  let body: ReactNode;
  if (view.helpOpen) {
    body = <HelpView width={layout.width} height={paneHeight} />;
  } else if (view.status === 'failed') {
    body = (
      <Box borderStyle="round" borderColor="red" width={layout.width} height={paneHeight} flexDirection="column" paddingX={1}>
        <Text color="red" bold>
          The lab world could not start.
        </Text>
        <Text>{view.error}</Text>
        <Text>Ctrl-g r tries again; `nslab doctor` checks the prerequisites.</Text>
      </Box>
    );
  } else if (!stage) {
    body = (
      <Box width={layout.width} height={paneHeight} alignItems="center" justifyContent="center">
        <Text dimColor>Starting a fresh lab world…</Text>
      </Box>
    );
  } else {
    body = (
      <Box>
        {(['host', 'container'] as const).map((id) =>
          inspecting && view.focus !== id ? (
            <Inspector key={id} inspector={session.inspector} cols={layout.paneCols} rows={layout.paneRows} />
          ) : (
          <PaneView
            key={id}
            name={id}
            pane={stage[id]}
            focused={view.focus === id}
            title={view.titles[id]}
            exited={view.exited[id]}
            cols={layout.paneCols}
            rows={layout.paneRows}
          />
          ),
        )}
      </Box>
    );
  }
  return (
    <Box flexDirection="column">
      {header}
      {body}
      {panel}
      {footer}
    </Box>
  );
}
