/** Full-screen entry points: the playground (and, later, labs) wired to the terminal. */
import React from 'react';
import { Session } from '../src/session/session.ts';
import { PLAYGROUND } from '../src/world/stage.ts';
import { runFullscreen } from './fullscreen.tsx';
import { StageScreen } from './StageScreen.tsx';

function terminalSize(): { columns: number; rows: number } {
  return { columns: process.stdout.columns ?? 80, rows: process.stdout.rows ?? 24 };
}

/** `nslab play`: the free playground. Resolves when the user quits. */
export async function runPlayground(rootfsTar: string): Promise<void> {
  let size = terminalSize();
  const session = new Session({ spec: PLAYGROUND, rootfsTar, ...size });
  const element = () => <StageScreen session={session} columns={size.columns} rows={size.rows} />;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const quit = () => {
    screen.restore();
    void session.close().then(finish, finish);
  };
  const screen = runFullscreen(element(), {
    onInput: (chunk) => session.input(chunk),
    onResize: (columns, rows) => {
      size = { columns, rows };
      session.resize(columns, rows);
      screen.rerender(element());
    },
    onSignal: quit,
  });
  session.onQuit = quit;
  await session.start();
  await finished;
}
