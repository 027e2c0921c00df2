import { useSyncExternalStore } from 'react';
import type { Navigator } from '../src/navigator.ts';
import { LabList } from './LabList.tsx';
import { LabPanel } from './LabPanel.tsx';
import { PresenterChecks, PresenterGoal } from './PresenterPanel.tsx';
import { StageScreen } from './StageScreen.tsx';

/** The whole screen: whatever the navigator has up. */
export function App({ navigator }: { navigator: Navigator }) {
  const view = useSyncExternalStore(
    (listener) => navigator.subscribe(listener),
    () => navigator.view,
  );
  const { screen, columns, rows } = view;
  if (screen.kind === 'list') {
    return <LabList labs={view.labs} progress={view.progress} selected={screen.selected} warning={view.warning} width={columns} />;
  }
  if (screen.kind === 'play') return <StageScreen key="play" session={screen.session} columns={columns} rows={rows} />;
  const layout = screen.session.view.layout;
  if (screen.presenter) {
    return (
      <StageScreen
        key={`present-${screen.lab.lab.id}`}
        session={screen.session}
        columns={columns}
        rows={rows}
        header={<PresenterGoal controller={screen.lab} width={layout.width} />}
        panel={<PresenterChecks controller={screen.lab} presenter={screen.presenter} width={layout.width} />}
      />
    );
  }
  return (
    <StageScreen
      key={screen.lab.lab.id}
      session={screen.session}
      columns={columns}
      rows={rows}
      panel={<LabPanel controller={screen.lab} width={layout.width} height={layout.panelRows} />}
    />
  );
}
