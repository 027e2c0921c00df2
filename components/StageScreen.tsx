import { useContext, useEffect, useLayoutEffect, useSyncExternalStore, type ReactNode } from 'react';
import { Box, Text } from 'ink';
import { MIN_COLUMNS, MIN_ROWS, PANE_TITLE_ROWS, type Layout } from '../src/layout.ts';
import type { Session, SessionView } from '../src/session/session.ts';
import { Footer } from './Footer.tsx';
import { HelpView } from './HelpView.tsx';
import { Inspector } from './Inspector.tsx';
import { PaneView, ScreenWriterContext } from './PaneView.tsx';

export interface StageScreenProps {
  readonly session: Session;
  readonly columns: number;
  readonly rows: number;
  /** The lab panel (labs only), drawn at the session's layout. */
  readonly panel?: (layout: Layout, status: SessionView['status']) => ReactNode;
  /** Above the panes (presenter mode: the goal on top), drawn at the session's layout. */
  readonly header?: (layout: Layout) => ReactNode;
}

/** The host pane and the container pane side by side, the lab panel, the footer. */
export function StageScreen({ session, columns, rows, panel, header }: StageScreenProps) {
  const view = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.view,
  );
  // Every size below comes from this one layout (src/layout.ts), owned by the session.
  const { layout, stage } = view;
  const inspecting = useSyncExternalStore(
    (listener) => session.inspector.subscribe(listener),
    () => session.inspector.view.mode !== null,
  );
  // The focus is drawn by the ScreenWriter: told on every render, and by the session directly
  // when only the focus moved (Session.focus: no render for it).
  const writer = useContext(ScreenWriterContext);
  useLayoutEffect(() => writer?.focus(view.focus));
  useEffect(() => (writer ? session.onFocus((focus) => writer.focus(focus)) : undefined), [session, writer]);
  const footer = <Footer prefixArmed={view.prefixArmed} layout={layout} noticeTick={view.noticeTick} />;

  if (layout.tooSmall) {
    return (
      <Box flexDirection="column">
        <Text color="yellow" wrap="wrap">
          This terminal is {columns}×{rows}; nslab needs at least {MIN_COLUMNS}×{MIN_ROWS} to show two shells side by side.
        </Text>
        <Text wrap="wrap">Enlarge the window or make the font smaller; the lab keeps running meanwhile. Ctrl-g q quits.</Text>
      </Box>
    );
  }
  const paneHeight = layout.paneRows + 2 + PANE_TITLE_ROWS;
  const panelNode = panel?.(layout, view.status) ?? null;
  let body: ReactNode;
  if (view.helpOpen) {
    body = <HelpView width={layout.width} height={paneHeight} notes={session.hooks.helpNotes?.() ?? []} />;
  } else if (layout.panelFull && panelNode) {
    return (
      <Box flexDirection="column">
        {panelNode}
        {footer}
      </Box>
    );
  } else if (view.status === 'failed') {
    body = (
      <Box borderStyle="round" borderColor="red" width={layout.width} height={paneHeight} flexDirection="column" paddingX={1}>
        <Text color="red" bold>
          The lab world could not start.
        </Text>
        <Text wrap="wrap">{view.error}</Text>
        <Text wrap="wrap">Ctrl-g r tries again; `nslab doctor` checks the prerequisites.</Text>
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
            // One title row of its own: the rest of the panes' two title rows become its rows.
            <Inspector key={id} inspector={session.inspector} cols={layout.paneCols} rows={layout.paneRows + PANE_TITLE_ROWS - 1} />
          ) : (
          <PaneView
            key={id}
            name={id}
            pane={stage[id]}
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
      {header?.(layout)}
      {body}
      {panelNode}
      {footer}
    </Box>
  );
}
