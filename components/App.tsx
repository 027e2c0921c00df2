import { useSyncExternalStore } from 'react';
import type { Navigator } from '../src/navigator.ts';
import { LabList } from './LabList.tsx';
import { LabPanel } from './LabPanel.tsx';
import { PresenterChecks, PresenterGoal } from './PresenterPanel.tsx';
import { StageScreen } from './StageScreen.tsx';

/** The whole screen: whatever the navigator has up. Sizes come from the session's layout only. */
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
  const lab = screen.lab;
  if (screen.presenter) {
    const presenter = screen.presenter;
    return (
      <StageScreen
        key={`present-${lab.lab.id}`}
        session={screen.session}
        columns={columns}
        rows={rows}
        header={(layout) => <PresenterGoal controller={lab} width={layout.width} />}
        panel={(layout) => <PresenterChecks controller={lab} presenter={presenter} width={layout.width} />}
      />
    );
  }
  return (
    <StageScreen
      key={lab.lab.id}
      session={screen.session}
      columns={columns}
      rows={rows}
      panel={(layout, status) => <LabPanel controller={lab} layout={layout} status={status} />}
    />
  );
}
