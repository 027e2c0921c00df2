/**
 * Running an Ink screen full-screen: alternate screen, raw keys to the session, resizes, and
 * the terminal restored on every way out but SIGKILL (which the kernel-owned lab lifetime
 * covers for the lab itself).
 */
import type { ReactElement } from 'react';
import { render } from 'ink';
import { MAX_FPS } from '../src/session/session.ts';

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H';
const LEAVE_ALT_SCREEN = '\x1b[?25h\x1b[?1049l';
const CLEAR_SCREEN = '\x1b[2J\x1b[H';

export interface FullscreenHandle {
  /** Tears the screen down and restores the terminal; idempotent. */
  restore(): void;
  rerender(element: ReactElement): void;
}

export interface FullscreenOptions {
  readonly onInput: (chunk: string) => void;
  readonly onResize: (columns: number, rows: number) => void;
  /** SIGTERM, SIGHUP, SIGINT: quit as if the user had asked. */
  readonly onSignal: (signal: NodeJS.Signals) => void;
}

export function runFullscreen(element: ReactElement, options: FullscreenOptions): FullscreenHandle {
  const { stdin, stdout } = process;
  stdout.write(ENTER_ALT_SCREEN);
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  const onData = (chunk: string) => options.onInput(chunk);
  stdin.on('data', onData);
  stdin.resume();
  // Ink clears its previous frame only when the terminal gets narrower; when it gets shorter,
  // lines of the old frame would stay on screen. Start every resize from a clean screen.
  const onResize = () => {
    ink.clear();
    stdout.write(CLEAR_SCREEN);
    options.onResize(stdout.columns ?? 80, stdout.rows ?? 24);
  };
  stdout.on('resize', onResize);
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const signal of signals) process.on(signal, options.onSignal);

  // Keys never reach Ink (useInput loses ESC, F-keys and Alt); Ink only draws.
  const ink = render(element, { exitOnCtrlC: false, patchConsole: false, maxFps: MAX_FPS });

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    ink.unmount();
    stdin.off('data', onData);
    stdout.off('resize', onResize);
    for (const signal of signals) process.off(signal, options.onSignal);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.pause();
    stdout.write(LEAVE_ALT_SCREEN);
  };
  process.once('exit', restore);
  // A crash: put the terminal back first, so the message lands on the main screen. The lab
  // world needs nothing: its parent-death signal fires when this process exits.
  process.once('uncaughtException', (error) => {
    restore();
    process.stderr.write(`nslab crashed: ${process.env.NSLAB_DEBUG ? error.stack : error.message}\nThe lab world is gone with it; nothing was left on this machine.\n`);
    process.exit(70); // EX_SOFTWARE
  });
  return { restore, rerender: (next) => ink.rerender(next) };
}
